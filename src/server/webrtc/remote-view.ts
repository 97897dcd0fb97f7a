/**
 * What one client has been told about the room: endpoints and their tracks. ts-client throws on
 * a `tracks_added` for an endpoint it does not know and on `tracks_removed` / `endpoint_removed`
 * for unknown ids, so every such event is checked against (and recorded in) this view first.
 */
export class RemoteView {
  readonly #endpoints = new Map<string, Set<string>>();
  /** trackId → endpointId */
  readonly #tracks = new Map<string, string>();

  hasEndpoint(endpointId: string): boolean {
    return this.#endpoints.has(endpointId);
  }

  hasTrack(trackId: string): boolean {
    return this.#tracks.has(trackId);
  }

  endpointOf(trackId: string): string | undefined {
    return this.#tracks.get(trackId);
  }

  tracksOf(endpointId: string): string[] {
    return [...(this.#endpoints.get(endpointId) ?? [])];
  }

  /** False when already known. */
  addEndpoint(endpointId: string): boolean {
    if (this.#endpoints.has(endpointId)) {
      return false;
    }
    this.#endpoints.set(endpointId, new Set());
    return true;
  }

  /** Removes the endpoint and its tracks; false when unknown. */
  removeEndpoint(endpointId: string): boolean {
    const tracks = this.#endpoints.get(endpointId);
    if (!tracks) {
      return false;
    }
    for (const trackId of tracks) {
      this.#tracks.delete(trackId);
    }
    this.#endpoints.delete(endpointId);
    return true;
  }

  /** False when the endpoint is unknown or the track already known. */
  addTrack(endpointId: string, trackId: string): boolean {
    const tracks = this.#endpoints.get(endpointId);
    if (!tracks || this.#tracks.has(trackId)) {
      return false;
    }
    tracks.add(trackId);
    this.#tracks.set(trackId, endpointId);
    return true;
  }

  /** Returns the endpoint the track belonged to, or undefined when unknown. */
  removeTrack(trackId: string): string | undefined {
    const endpointId = this.#tracks.get(trackId);
    if (endpointId === undefined) {
      return undefined;
    }
    this.#tracks.delete(trackId);
    this.#endpoints.get(endpointId)?.delete(trackId);
    return endpointId;
  }

  clear(): void {
    this.#endpoints.clear();
    this.#tracks.clear();
  }
}

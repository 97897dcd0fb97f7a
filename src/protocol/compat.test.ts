import { ServerMessage as SdkServerMessage } from '@fishjam-cloud/js-server-sdk';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  AgentRequest,
  AgentResponse,
  EventType,
  PeerMessage,
  PeerType,
  RoomType,
  ServerMessage,
  ShoalError,
  TrackEncoding,
  TrackType,
  TypedEmitter,
  Variant,
  decodeAgentRequest,
  decodeAgentResponse,
  decodePeerMessage,
  decodeServerMessage,
  encodeAgentRequest,
  encodeAgentResponse,
  encodeNotification,
  encodePeerMessage,
  encodeServerMessage,
  notificationToServerMessage,
  variantOf,
  type IAgentRequest,
  type IAgentResponse,
  type IPeerMessage,
  type IServerMessage,
  type NotificationEvents,
  type ServerMessageVariant,
  type ServerNotification,
} from './index.js';

/** Our enums and the SDK's are distinct TS enums with the same numbers; the shapes are the same. */
type SdkMessage = ReturnType<typeof SdkServerMessage.decode>;
const sdkEncode = (message: IServerMessage): Uint8Array =>
  SdkServerMessage.encode(SdkServerMessage.fromPartial(message as unknown as SdkMessage)).finish();

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const unhex = (text: string): Uint8Array =>
  new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

/** Deep copy with Node Buffers (what protobuf.js decodes `bytes` to under Node) as plain Uint8Arrays. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return new Uint8Array(value);
  }
  if (Array.isArray(value)) {
    return value.map(plain);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const audioTrack = {
  id: 'track-a1',
  type: TrackType.TRACK_TYPE_AUDIO,
  metadata: '{"source":"mic"}',
};
const videoTrack = {
  id: 'track-v1',
  type: TrackType.TRACK_TYPE_VIDEO,
  metadata: '{"label":"cam"}',
};

/**
 * One ServerMessage per `content` member, in the ts-proto shape the SDK decodes to, every field
 * non-default so a wrong field number, type or name cannot go unnoticed.
 */
const serverMessages: Record<ServerMessageVariant, IServerMessage> = {
  roomCrashed: { roomCrashed: { roomId: 'room-1' } },
  peerConnected: {
    peerConnected: { roomId: 'room-1', peerId: 'peer-1', peerType: PeerType.PEER_TYPE_WEBRTC },
  },
  peerDisconnected: {
    peerDisconnected: { roomId: 'room-1', peerId: 'peer-2', peerType: PeerType.PEER_TYPE_AGENT },
  },
  peerCrashed: {
    peerCrashed: {
      roomId: 'room-1',
      peerId: 'peer-3',
      reason: 'endpoint crashed',
      peerType: PeerType.PEER_TYPE_WEBRTC,
    },
  },
  componentCrashed: { componentCrashed: { roomId: 'room-1', componentId: 'comp-1' } },
  authenticated: { authenticated: {} },
  authRequest: { authRequest: { token: 'management-token-ü' } },
  subscribeRequest: {
    subscribeRequest: { eventType: EventType.EVENT_TYPE_SERVER_NOTIFICATION },
  },
  subscribeResponse: {
    subscribeResponse: { eventType: EventType.EVENT_TYPE_SERVER_NOTIFICATION },
  },
  roomCreated: { roomCreated: { roomId: 'room-2' } },
  roomDeleted: { roomDeleted: { roomId: 'room-3' } },
  hlsPlayable: { hlsPlayable: { roomId: 'room-1', componentId: 'hls-1' } },
  hlsUploaded: { hlsUploaded: { roomId: 'room-4' } },
  hlsUploadCrashed: { hlsUploadCrashed: { roomId: 'room-5' } },
  peerMetadataUpdated: {
    peerMetadataUpdated: {
      roomId: 'room-1',
      peerId: 'peer-1',
      metadata: '{"name":"Ada","nested":{"x":[1,2]}}',
      peerType: PeerType.PEER_TYPE_AGENT,
    },
  },
  trackAdded: { trackAdded: { roomId: 'room-1', peerId: 'peer-1', track: audioTrack } },
  trackRemoved: { trackRemoved: { roomId: 'room-1', componentId: 'comp-2', track: videoTrack } },
  trackMetadataUpdated: {
    trackMetadataUpdated: { roomId: 'room-1', peerId: 'peer-4', track: videoTrack },
  },
  peerAdded: {
    peerAdded: { roomId: 'room-1', peerId: 'peer-5', peerType: PeerType.PEER_TYPE_AGENT },
  },
  peerDeleted: {
    peerDeleted: { roomId: 'room-1', peerId: 'peer-6', peerType: PeerType.PEER_TYPE_WEBRTC },
  },
  streamConnected: { streamConnected: { streamId: 'stream-1' } },
  streamDisconnected: { streamDisconnected: { streamId: 'stream-2' } },
  viewerConnected: { viewerConnected: { streamId: 'stream-1', viewerId: 'viewer-1' } },
  viewerDisconnected: { viewerDisconnected: { streamId: 'stream-1', viewerId: 'viewer-2' } },
  streamerConnected: { streamerConnected: { streamId: 'stream-1', streamerId: 'streamer-1' } },
  streamerDisconnected: {
    streamerDisconnected: { streamId: 'stream-1', streamerId: 'streamer-2' },
  },
  channelAdded: { channelAdded: { roomId: 'room-1', peerId: 'peer-1', channelId: 'chan-1' } },
  channelRemoved: {
    channelRemoved: { roomId: 'room-1', componentId: 'comp-3', channelId: 'chan-2' },
  },
};

/** Variants whose oneof `endpoint_info` is exercised both ways (peer_id and component_id). */
const extraServerMessages: [string, IServerMessage][] = [
  ['trackAdded/componentId', { trackAdded: { roomId: 'r', componentId: 'c', track: videoTrack } }],
  ['trackRemoved/peerId', { trackRemoved: { roomId: 'r', peerId: 'p', track: audioTrack } }],
  [
    'trackMetadataUpdated/componentId',
    { trackMetadataUpdated: { roomId: 'r', componentId: 'c', track: audioTrack } },
  ],
  ['channelAdded/componentId', { channelAdded: { roomId: 'r', componentId: 'c', channelId: 'x' } }],
  ['channelRemoved/peerId', { channelRemoved: { roomId: 'r', peerId: 'p', channelId: 'y' } }],
];

const serverCases: [string, IServerMessage][] = [
  ...Object.entries(serverMessages),
  ...extraServerMessages,
];

describe('ServerMessage: byte compatibility with @fishjam-cloud/js-server-sdk 0.25.0', () => {
  it('covers every ServerMessage content member the SDK knows (28)', () => {
    const sdkVariants = Object.keys(SdkServerMessage.fromPartial({})).sort();
    // Field numbers run to 29, but 12 is reserved: 28 members.
    expect(sdkVariants).toHaveLength(28);
    expect(Object.keys(serverMessages).sort()).toEqual(sdkVariants);
  });

  it.each(serverCases)('%s: ours -> SDK decode', (_name, message) => {
    const decoded = SdkServerMessage.decode(encodeServerMessage(message));
    expect(decoded).toEqual(message);
    // The SDK dispatches on the first truthy key.
    const [sdkVariant] = Object.entries(decoded).find(([, v]) => v) ?? [];
    expect(sdkVariant).toBe(Object.keys(message)[0]);
  });

  it.each(serverCases)('%s: SDK encode -> ours decode', (name, message) => {
    const bytes = sdkEncode(message);
    const decoded = decodeServerMessage(bytes);
    expect(decoded).toBeInstanceOf(ServerMessage);
    expect(variantOf(decoded)).toBe(name.split('/')[0]);
    expect(plain(ServerMessage.toObject(decoded))).toEqual(message);
  });

  it.each(serverCases)('%s: identical bytes', (_name, message) => {
    const ours = encodeServerMessage(message);
    const theirs = sdkEncode(message);
    expect(hex(ours)).toBe(hex(theirs));
  });

  it('decodes ServerMessage field numbers written by hand', () => {
    // peer_added = 20 -> tag (20 << 3 | 2) = a2 01; room_id "r", peer_id "p", peer_type AGENT (2)
    expect(hex(encodeServerMessage({ peerAdded: { roomId: 'r', peerId: 'p', peerType: 2 } }))).toBe(
      'a201080a01721201701802',
    );
    // subscribe_request = 8 -> 42; event_type = 1
    expect(hex(encodeServerMessage({ subscribeRequest: { eventType: 1 } }))).toBe('42020801');
    // track_added = 17: room_id, component_id = 3, track = 4 {id, type = 2, metadata}
    expect(
      hex(
        encodeServerMessage({
          trackAdded: {
            roomId: 'r',
            componentId: 'c',
            track: { id: 't', type: 2, metadata: '{}' },
          },
        }),
      ),
    ).toBe('8a01110a01721a016322090a017410021a027b7d');
  });

  it('variantOf reads decoded instances and plain (ts-proto shaped) objects', () => {
    const decoded = decodeServerMessage(encodeServerMessage({ roomCreated: { roomId: 'r' } }));
    expectTypeOf(variantOf(decoded)).toEqualTypeOf<ServerMessageVariant | undefined>();
    expect(variantOf(decoded)).toBe('roomCreated');
    const sdkShaped = SdkServerMessage.fromPartial({ peerAdded: { roomId: 'r', peerId: 'p' } });
    expect(variantOf(sdkShaped as unknown as IServerMessage)).toBe('peerAdded');
    const request: IAgentRequest = { trackData: { trackId: 't' } };
    expectTypeOf(variantOf(request)).toEqualTypeOf<keyof IAgentRequest | undefined>();
    expect(variantOf(request)).toBe('trackData');
    expect(variantOf(AgentRequest.create())).toBeUndefined();
  });

  it('skips unknown and reserved fields (forward compatibility)', () => {
    // reserved 12 (old metrics_report) and 0.27's track_forwarding = 30
    for (const frame of ['62 03 0a 01 72', 'f2 01 03 0a 01 72']) {
      const decoded = decodeServerMessage(unhex(frame));
      expect(variantOf(decoded)).toBeUndefined();
    }
    expect(variantOf(decodeServerMessage(new Uint8Array()))).toBeUndefined();
  });
});

describe('server notifications', () => {
  const notifications: ServerNotification[] = [
    {
      type: 'peerAdded',
      payload: { roomId: 'room-1', peerId: 'peer-1', peerType: PeerType.PEER_TYPE_AGENT },
    },
    { type: 'trackAdded', payload: { roomId: 'room-1', peerId: 'peer-1', track: audioTrack } },
    { type: 'channelRemoved', payload: { roomId: 'room-1', componentId: 'c', channelId: 'x' } },
    { type: 'roomDeleted', payload: { roomId: 'room-1' } },
  ];

  it.each(notifications)('$type reaches the SDK as that notification', (notification) => {
    const message = notificationToServerMessage(notification);
    expect(variantOf(message)).toBe(notification.type);
    const bytes = encodeNotification(notification);
    expect(hex(bytes)).toBe(hex(encodeServerMessage(message)));
    const decoded = SdkServerMessage.decode(bytes);
    expect(decoded[notification.type]).toEqual(notification.payload);
  });

  it('types an event bus', () => {
    class Bus extends TypedEmitter<NotificationEvents> {
      publish(n: ServerNotification): void {
        (this.emit as (type: string, payload: unknown) => void)(n.type, n.payload);
      }
    }
    const bus = new Bus();
    const seen: string[] = [];
    bus.on('peerAdded', (p) => seen.push(`${p.roomId}/${p.peerId}/${p.peerType}`));
    for (const n of notifications) {
      bus.publish(n);
    }
    expect(seen).toEqual(['room-1/peer-1/2']);
  });
});

describe('AgentRequest / AgentResponse', () => {
  const pcm = new Uint8Array([0x00, 0x01, 0xfe, 0xff, 0x80]);
  const requests: [string, IAgentRequest][] = [
    ['authRequest', { authRequest: { token: 'agent-token' } }],
    [
      'addTrack',
      {
        addTrack: {
          track: { id: 'out-1', type: TrackType.TRACK_TYPE_AUDIO, metadata: '{"agent":true}' },
          codecParams: {
            encoding: TrackEncoding.TRACK_ENCODING_PCM16,
            sampleRate: 16000,
            channels: 1,
          },
        },
      },
    ],
    ['removeTrack', { removeTrack: { trackId: 'out-1' } }],
    ['trackData', { trackData: { trackId: 'out-1', data: pcm } }],
    ['interruptTrack', { interruptTrack: { trackId: 'out-1' } }],
    ['captureImage', { captureImage: { trackId: 'cam-1' } }],
  ];
  const responses: [string, IAgentResponse][] = [
    ['authenticated', { authenticated: {} }],
    ['trackData', { trackData: { peerId: 'peer-1', track: audioTrack, data: pcm } }],
    [
      'trackImage',
      {
        trackImage: {
          trackId: 'cam-1',
          contentType: 'image/jpeg',
          data: new Uint8Array([0xff, 0xd8]),
        },
      },
    ],
  ];

  it.each(requests)('AgentRequest %s round-trips', (name, message) => {
    const decoded = decodeAgentRequest(encodeAgentRequest(message));
    expect(variantOf(decoded)).toBe(name);
    expect(plain(AgentRequest.toObject(decoded))).toEqual(message);
  });

  it.each(responses)('AgentResponse %s round-trips', (name, message) => {
    const decoded = decodeAgentResponse(encodeAgentResponse(message));
    expect(variantOf(decoded)).toBe(name);
    expect(plain(AgentResponse.toObject(decoded))).toEqual(message);
  });

  it.each<[string, IAgentRequest, string]>([
    ['auth_request = 1', { authRequest: { token: 't' } }, '0a 03 0a 01 74'],
    // add_track = 2 { track = 1 {id "x", type AUDIO, metadata "{}"}, codec_params = 2 {OPUS, 48000, 1} }
    [
      'add_track = 2',
      {
        addTrack: {
          track: { id: 'x', type: 2, metadata: '{}' },
          codecParams: { encoding: 2, sampleRate: 48000, channels: 1 },
        },
      },
      '12 15  0a 09 0a 01 78 10 02 1a 02 7b 7d  12 08 08 02 10 80 f7 02 18 01',
    ],
    ['remove_track = 3', { removeTrack: { trackId: 'a' } }, '1a 03 0a 01 61'],
    [
      'track_data = 4',
      { trackData: { trackId: 'a', data: new Uint8Array([1, 2]) } },
      '22 07 0a 01 61 12 02 01 02',
    ],
    ['interrupt_track = 5', { interruptTrack: { trackId: 'a' } }, '2a 03 0a 01 61'],
    ['capture_image = 6', { captureImage: { trackId: 'a' } }, '32 03 0a 01 61'],
  ])('AgentRequest %s matches hand-assembled bytes', (_name, message, expected) => {
    expect(hex(encodeAgentRequest(message))).toBe(hex(unhex(expected)));
    expect(plain(AgentRequest.toObject(decodeAgentRequest(unhex(expected))))).toEqual(message);
  });

  it.each<[string, IAgentResponse, string]>([
    ['authenticated = 1', { authenticated: {} }, '0a 00'],
    // track_data = 2 { peer_id = 1 "p", track = 2 {id "t", type AUDIO}, data = 3 [ff] }
    [
      'track_data = 2',
      { trackData: { peerId: 'p', track: { id: 't', type: 2 }, data: new Uint8Array([0xff]) } },
      '12 0d  0a 01 70  12 05 0a 01 74 10 02  1a 01 ff',
    ],
    [
      'track_image = 3',
      { trackImage: { trackId: 'a', contentType: 'b', data: new Uint8Array([7]) } },
      '1a 09 0a 01 61 12 01 62 1a 01 07',
    ],
  ])('AgentResponse %s matches hand-assembled bytes', (_name, message, expected) => {
    expect(hex(encodeAgentResponse(message))).toBe(hex(unhex(expected)));
    expect(plain(AgentResponse.toObject(decodeAgentResponse(unhex(expected))))).toEqual(message);
  });
});

describe('PeerMessage with media events', () => {
  const simulcast = {
    enabled: true,
    enabledVariants: [Variant.VARIANT_LOW, Variant.VARIANT_HIGH],
    disabledVariants: [Variant.VARIANT_MEDIUM],
  };
  const candidate = {
    candidate: 'candidate:1 1 UDP 2122 10.0.0.1 5000 typ host',
    sdpMLineIndex: 1,
    sdpMid: '0',
    usernameFragment: 'uf',
  };
  const peerEvents: IPeerMessage['peerMediaEvent'][] = [
    { connect: { metadataJson: '{"name":"Ada"}' } },
    { disconnect: {} },
    { updateEndpointMetadata: { metadataJson: '{"name":"Bob"}' } },
    { updateTrackMetadata: { trackId: 't1', metadataJson: '{"muted":true}' } },
    { renegotiateTracks: {} },
    { candidate },
    {
      sdpOffer: {
        sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n',
        trackIdToMetadataJson: { t1: '{"type":"audio"}', t2: '{}' },
        trackIdToBitrates: {
          t2: {
            trackId: 't2',
            variantBitrates: [
              { variant: Variant.VARIANT_LOW, bitrate: 150 },
              { variant: Variant.VARIANT_HIGH, bitrate: 1500 },
            ],
          },
        },
        midToTrackId: { '0': 't1', '1': 't2' },
      },
    },
    {
      trackBitrates: {
        trackId: 't2',
        variantBitrates: [{ variant: Variant.VARIANT_MEDIUM, bitrate: 500 }],
      },
    },
    { enableTrackVariant: { trackId: 't2', variant: Variant.VARIANT_HIGH } },
    { disableTrackVariant: { trackId: 't2', variant: Variant.VARIANT_LOW } },
    { setTargetTrackVariant: { trackId: 't2', variant: Variant.VARIANT_MEDIUM } },
    { unmuteTrack: { trackId: 't1' } },
  ];
  const serverEvents: IPeerMessage['serverMediaEvent'][] = [
    { endpointUpdated: { endpointId: 'e1', metadataJson: '{"a":1}' } },
    { trackUpdated: { endpointId: 'e1', trackId: 't1', metadataJson: '{"b":2}' } },
    {
      tracksAdded: {
        endpointId: 'e1',
        trackIdToTrack: { t1: { metadataJson: '{}', simulcastConfig: simulcast } },
      },
    },
    { tracksRemoved: { endpointId: 'e1', trackIds: ['t1', 't2'] } },
    { endpointAdded: { endpointId: 'e2', metadataJson: '{"name":"Eve"}' } },
    { endpointRemoved: { endpointId: 'e2' } },
    {
      connected: {
        endpointId: 'e1',
        endpointIdToEndpoint: {
          e2: {
            endpointType: 'webrtc',
            metadataJson: '{"name":"Eve"}',
            trackIdToTrack: { t3: { metadataJson: '{"k":"v"}', simulcastConfig: simulcast } },
          },
        },
        iceServers: [
          {
            credential: 'pw',
            urls: ['turn:turn.example:3478?transport=udp', 'turns:turn.example:5349'],
            username: 'u',
          },
        ],
      },
    },
    { error: { message: 'invalid sdp' } },
    { offerData: { tracksTypes: { audio: 2, video: 1 } } },
    { candidate },
    { sdpAnswer: { sdp: 'v=0\r\n', midToTrackId: { '0': 't3' } } },
    { vadNotification: { trackId: 't3', status: 2 } },
    { trackVariantSwitched: { endpointId: 'e2', trackId: 't3', variant: Variant.VARIANT_HIGH } },
    { trackVariantDisabled: { endpointId: 'e2', trackId: 't3', variant: Variant.VARIANT_LOW } },
    { trackVariantEnabled: { endpointId: 'e2', trackId: 't3', variant: Variant.VARIANT_MEDIUM } },
  ];
  const messages: IPeerMessage[] = [
    {
      authenticated: {
        roomType: RoomType.ROOM_TYPE_AUDIO_ONLY,
        sdkDeprecation: { status: 1, message: 'up to date' },
      },
    },
    { authRequest: { token: 'peer-token', sdkVersion: 'web-0.25.1' } },
    { mediaEvent: { data: '{"type":"custom"}' } },
    { rtcStatsReport: { data: '{"inbound-rtp":{}}' } },
    ...peerEvents.map((peerMediaEvent) => ({ peerMediaEvent })),
    ...serverEvents.map((serverMediaEvent) => ({ serverMediaEvent })),
  ];

  it('has a case for every media event member', () => {
    expect(peerEvents).toHaveLength(12);
    expect(serverEvents).toHaveLength(15);
  });

  it.each(messages.map((m) => [JSON.stringify(m).slice(0, 60), m] as const))(
    '%s round-trips',
    (_name, message) => {
      const decoded = decodePeerMessage(encodePeerMessage(message));
      expect(variantOf(decoded)).toBe(Object.keys(message)[0]);
      const inner = decoded.peerMediaEvent ?? decoded.serverMediaEvent;
      if (inner) {
        const expected = message.peerMediaEvent ?? message.serverMediaEvent;
        expect(variantOf(inner)).toBe(Object.keys(expected ?? {})[0]);
      }
      expect(plain(PeerMessage.toObject(decoded))).toEqual(message);
    },
  );

  it.each<[string, IPeerMessage, string]>([
    [
      'authenticated = 1',
      { authenticated: { roomType: 2, sdkDeprecation: { status: 1, message: 'ok' } } },
      '0a 0a 08 02 12 06 08 01 12 02 6f 6b',
    ],
    [
      'auth_request = 2',
      { authRequest: { token: 't', sdkVersion: 'v' } },
      '12 06 0a 01 74 12 01 76',
    ],
    ['media_event = 3', { mediaEvent: { data: '{}' } }, '1a 04 0a 02 7b 7d'],
    ['rtc_stats_report = 4', { rtcStatsReport: { data: '{}' } }, '22 04 0a 02 7b 7d'],
    // peer_media_event = 5 { connect = 1 { metadata_json "{}" } }
    [
      'peer connect',
      { peerMediaEvent: { connect: { metadataJson: '{}' } } },
      '2a 06 0a 04 0a 02 7b 7d',
    ],
    // peer_media_event = 5 { candidate = 6 { "c", 1, "0", "u" } }
    [
      'peer candidate',
      {
        peerMediaEvent: {
          candidate: { candidate: 'c', sdpMLineIndex: 1, sdpMid: '0', usernameFragment: 'u' },
        },
      },
      '2a 0d 32 0b 0a 01 63 10 01 1a 01 30 22 01 75',
    ],
    // peer_media_event = 5 { unmute_track = 12 { "a" } }
    ['peer unmute', { peerMediaEvent: { unmuteTrack: { trackId: 'a' } } }, '2a 05 62 03 0a 01 61'],
    // server_media_event = 6 { vad_notification = 12 { track_id "a", status SPEECH } }
    [
      'server vad',
      { serverMediaEvent: { vadNotification: { trackId: 'a', status: 2 } } },
      '32 07 62 05 0a 01 61 10 02',
    ],
    // server_media_event = 6 { connected = 7 { "e", {"e": Endpoint{endpoint_type = 2 "x"}} } }
    [
      'server connected (Endpoint has no field 1)',
      {
        serverMediaEvent: {
          connected: { endpointId: 'e', endpointIdToEndpoint: { e: { endpointType: 'x' } } },
        },
      },
      '32 0f 3a 0d 0a 01 65 12 08 0a 01 65 12 03 12 01 78',
    ],
    // server_media_event = 6 { tracks_added = 3 { "e", {"t": Track{simulcast{enabled, [LOW, HIGH] packed}}} } }
    [
      'server tracksAdded (packed repeated enum)',
      {
        serverMediaEvent: {
          tracksAdded: {
            endpointId: 'e',
            trackIdToTrack: { t: { simulcastConfig: { enabled: true, enabledVariants: [1, 3] } } },
          },
        },
      },
      '32 14 1a 12 0a 01 65 12 0d 0a 01 74 12 08 12 06 08 01 12 02 01 03',
    ],
  ])('PeerMessage %s matches hand-assembled bytes', (_name, message, expected) => {
    expect(hex(encodePeerMessage(message))).toBe(hex(unhex(expected)));
    expect(plain(PeerMessage.toObject(decodePeerMessage(unhex(expected))))).toEqual(message);
  });
});

describe('malformed frames', () => {
  const garbage: [string, Uint8Array | ArrayBuffer][] = [
    ['invalid wire type', unhex('ff ff ff ff ff ff ff ff ff ff ff')],
    ['truncated length-delimited field', unhex('0a 05 01')],
    ['truncated varint', unhex('08 ff')],
    ['ArrayBuffer input', new Uint8Array([0x0f, 0x0f, 0x0f]).buffer],
  ];
  const decoders: [string, (frame: Uint8Array | ArrayBuffer) => unknown][] = [
    ['ServerMessage', decodeServerMessage],
    ['AgentRequest', decodeAgentRequest],
    ['AgentResponse', decodeAgentResponse],
    ['PeerMessage', decodePeerMessage],
  ];

  for (const [what, decode] of decoders) {
    it.each(garbage)(`decode${what} rejects %s with BAD_REQUEST`, (_name, frame) => {
      let error: unknown;
      try {
        decode(frame);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ShoalError);
      expect((error as ShoalError).code).toBe('BAD_REQUEST');
      expect((error as ShoalError).status).toBe(400);
      expect((error as ShoalError).message).toMatch(new RegExp(`^malformed ${what} frame: `));
    });
  }

  it('accepts an ArrayBuffer holding a valid frame', () => {
    const bytes = encodeAgentRequest({ authRequest: { token: 't' } });
    const copy = new Uint8Array(bytes).buffer;
    expect(decodeAgentRequest(copy).authRequest?.token).toBe('t');
  });
});

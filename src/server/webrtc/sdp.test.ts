import { describe, expect, it } from 'vitest';
import { checkCodecs, finalizeAnswer, parseOffer } from './sdp.js';

const offer = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1 2',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63',
  'a=mid:0',
  'a=sendonly',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:63 red/48000/2',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:1',
  'a=recvonly',
  'a=rtpmap:111 opus/48000/2',
  'm=video 0 UDP/TLS/RTP/SAVPF 96',
  'a=mid:2',
  'a=inactive',
  'a=rtpmap:96 VP8/90000',
  '',
].join('\r\n');

describe('parseOffer', () => {
  it('reads kind, mid, port, direction and codec names of every m-section', () => {
    expect(parseOffer(offer)).toEqual([
      {
        index: 0,
        kind: 'audio',
        mid: '0',
        port: 9,
        direction: 'sendonly',
        codecs: ['opus', 'red'],
      },
      { index: 1, kind: 'audio', mid: '1', port: 9, direction: 'recvonly', codecs: ['opus'] },
      { index: 2, kind: 'video', mid: '2', port: 0, direction: 'inactive', codecs: ['vp8'] },
    ]);
  });

  it.each([
    ['not SDP', 'hello', /not an SDP description/],
    ['a broken m-line', 'v=0\r\nm=audio nine\r\n', /malformed media line/],
    ['no mid', 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n', /has no a=mid/],
    [
      'two sections, one mid',
      'v=0\nm=audio 9 P 1\na=mid:0\nm=audio 9 P 1\na=mid:0\n',
      /share a mid/,
    ],
  ])('rejects %s with a clear message', (_name, sdp, message) => {
    expect(() => parseOffer(sdp)).toThrow(message);
  });
});

describe('checkCodecs', () => {
  it('needs Opus on live audio sections and the room codec on live video sections', () => {
    const media = parseOffer(offer);
    expect(() => checkCodecs(media, ['h264'])).not.toThrow(); // the video section is port 0
    const live = media.map((m) => ({ ...m, port: 9 }));
    expect(() => checkCodecs(live, ['h264'])).toThrow(/mid=2 offers no supported codec .*H264/);
    expect(() => checkCodecs(live, ['vp8'])).not.toThrow();
    const pcmu = [{ ...live[0]!, codecs: ['pcmu'] }];
    expect(() => checkCodecs(pcmu, ['vp8'])).toThrow(/audio section mid=0 .*offered: pcmu/);
  });
});

describe('finalizeAnswer', () => {
  it('answers unused open sections inactive on port 9 and bundles exactly the open ones', () => {
    const answer = [
      'v=0',
      'a=group:BUNDLE 0 1 2',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=recvonly',
      'a=mid:0',
      'm=audio 0 UDP/TLS/RTP/SAVPF 111',
      'a=inactive',
      'a=mid:1',
      'm=video 0 UDP/TLS/RTP/SAVPF 96',
      'a=inactive',
      'a=mid:2',
      '',
    ].join('\r\n');
    const out = finalizeAnswer(answer, parseOffer(offer)).split('\r\n');
    expect(out).toContain('a=group:BUNDLE 0 1');
    expect(out).toContain('m=audio 9 UDP/TLS/RTP/SAVPF 111');
    expect(out).not.toContain('m=audio 0 UDP/TLS/RTP/SAVPF 111');
    // The offer itself rejected mid 2: the answer keeps port 0.
    expect(out).toContain('m=video 0 UDP/TLS/RTP/SAVPF 96');
  });
});

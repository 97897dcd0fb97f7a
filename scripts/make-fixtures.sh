#!/usr/bin/env bash
# Regenerates the committed speech fixtures (needs espeak-ng and sox from apt).
# The WAVs are committed so tests never depend on the speech engine's version.
set -euo pipefail
cd "$(dirname "$0")/../fixtures"
text="$(cat speech.txt)"
espeak-ng -v en-us -s 150 -w /tmp/shoal-speech-raw.wav "$text"
sox /tmp/shoal-speech-raw.wav -r 24000 -c 1 -b 16 -e signed-integer speech-24k.wav
sox /tmp/shoal-speech-raw.wav -r 16000 -c 1 -b 16 -e signed-integer speech-16k.wav
sox /tmp/shoal-speech-raw.wav -r 48000 -c 1 -b 16 -e signed-integer speech-48k.wav
rm -f /tmp/shoal-speech-raw.wav

# A second speaker (another voice and text) for multi-party tests.
text2="$(cat speech2.txt)"
espeak-ng -v en-us+f3 -s 160 -w /tmp/shoal-speech2-raw.wav "$text2"
sox /tmp/shoal-speech2-raw.wav -r 24000 -c 1 -b 16 -e signed-integer speech2-24k.wav
sox /tmp/shoal-speech2-raw.wav -r 16000 -c 1 -b 16 -e signed-integer speech2-16k.wav
rm -f /tmp/shoal-speech2-raw.wav

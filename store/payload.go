package store

import (
	"bytes"
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// Payloads are stored compressed with zstd at its fastest level. Webhook
// JSON repeats itself (every repository and user object carries a dozen API
// URLs), so a typical 28 KB pull_request payload shrinks about 8.5 times, to
// one SQLite page instead of seven and to an eighth of the bytes written to
// the WAL, the file and again when the inbox moves it; those writes, and the
// fsyncs the disk then makes the acknowledgements wait for, were the SQLite
// path's largest cost at 500 deliveries/s. Compressing takes ~60 µs per
// payload in the webhook's own goroutine, decompressing ~35 µs in the job.
//
// A row written before payloads were compressed holds the JSON as it came;
// JSON never starts with zstd's magic number, so both read back.
var (
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

	// Both are safe for concurrent EncodeAll and DecodeAll calls.
	payloadEncoder = must(zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest)))
	payloadDecoder = must(zstd.NewReader(nil, zstd.WithDecoderConcurrency(0),
		// Nothing larger is ever stored: the webhook refuses bodies over 25 MiB.
		zstd.WithDecoderMaxMemory(maxPayloadMemory)))
)

// maxPayloadMemory bounds what decoding one stored payload may allocate.
const maxPayloadMemory = 32 << 20

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// encodePayload returns p as stored.
func encodePayload(p []byte) []byte {
	if len(p) == 0 {
		return []byte{}
	}
	return payloadEncoder.EncodeAll(p, make([]byte, 0, len(p)/4))
}

// decodePayload returns a stored payload as it was delivered.
func decodePayload(b []byte) ([]byte, error) { return decodePayloadInto(nil, b) }

// compressed reports whether b, as stored, is compressed.
func compressed(b []byte) bool { return bytes.HasPrefix(b, zstdMagic) }

// decodePayloadInto is decodePayload decompressing into dst's spare
// capacity (dst is empty), so that a caller decoding many payloads one
// after another may reuse one buffer. A payload stored uncompressed is
// returned as it is, not copied.
func decodePayloadInto(dst, b []byte) ([]byte, error) {
	if !compressed(b) {
		return b, nil // stored uncompressed, before compression
	}
	p, err := payloadDecoder.DecodeAll(b, dst)
	if err != nil {
		return nil, fmt.Errorf("decompress payload: %w", err)
	}
	return p, nil
}

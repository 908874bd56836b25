package store

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// Payloads are stored compressed. Webhook JSON repeats itself (every
// repository and user object carries a dozen API URLs), so a typical 28 KB
// pull_request payload shrinks 7 to 8.5 times, and with it the bytes written
// to the WAL and the file, and again when the inbox or the enqueuer moves it.
//
// SQLite stores them with zstd at its fastest level: 3.2-3.7 KB, one 4 KiB
// page instead of seven; those writes, and the fsyncs the disk then makes
// the acknowledgements wait for, were the SQLite path's largest cost at 500
// deliveries/s. PostgreSQL stores them with S2, whose output is about a
// quarter larger (4.0-4.7 KB, still within its 8 KiB page: migration 0021)
// and which compresses in under half zstd's time and decompresses in a
// third: compressing, in the webhook's own goroutine, was a tenth of the
// server's CPU in a PostgreSQL capacity run (docs/capacity.md, sixteenth
// session).
//
// A row written before payloads were compressed holds the JSON as it came;
// JSON never starts with either magic number, so all three read back,
// whichever database holds them.
var (
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	// s2Magic is this store's own: S2's block format has none. 0xff never
	// begins UTF-8 text.
	s2Magic = []byte{0xff, 's', '2', 0}

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

// encodePayload returns p as SQLite stores it (zstd).
func encodePayload(p []byte) []byte {
	if len(p) == 0 {
		return []byte{}
	}
	return payloadEncoder.EncodeAll(p, make([]byte, 0, len(p)/4))
}

// encodePayloadS2 returns p as PostgreSQL stores it (S2). S2 encodes only
// into room for its worst case, a little more than p, so it encodes into a
// pooled buffer and the result is copied out at its size: the stored form
// waits for its batch's write, and a worst-case buffer for each would be
// most of the memory the body buffers' pools saved.
func encodePayloadS2(p []byte) []byte {
	if len(p) == 0 {
		return []byte{}
	}
	need := s2.MaxEncodedLen(len(p))
	if need < 0 {
		panic(s2.ErrTooLarge) // over 4 GiB: the webhook takes 25 MiB at most
	}
	scratch, _ := s2Scratch.Get().(*[]byte)
	if scratch == nil || cap(*scratch) < need {
		b := make([]byte, need)
		scratch = &b
	}
	enc := s2.Encode((*scratch)[:need], p)
	out := append(append(make([]byte, 0, len(s2Magic)+len(enc)), s2Magic...), enc...)
	if cap(*scratch) <= maxPooledScratch {
		s2Scratch.Put(scratch)
	}
	return out
}

// s2Scratch holds encodePayloadS2's buffers, up to maxPooledScratch bytes.
var s2Scratch sync.Pool

const maxPooledScratch = 256 << 10

// encodePayload returns p as this store's database keeps it.
func (s *Store) encodePayload(p []byte) []byte {
	if s.Dialect == DialectPostgres {
		return encodePayloadS2(p)
	}
	return encodePayload(p)
}

// decodePayload returns a stored payload as it was delivered.
func decodePayload(b []byte) ([]byte, error) { return decodePayloadInto(nil, b) }

// compressed reports whether b, as stored, is compressed.
func compressed(b []byte) bool { return bytes.HasPrefix(b, zstdMagic) || bytes.HasPrefix(b, s2Magic) }

// decodePayloadInto is decodePayload decompressing into dst's spare
// capacity (dst is empty), so that a caller decoding many payloads one
// after another may reuse one buffer. A payload stored uncompressed is
// returned as it is, not copied.
func decodePayloadInto(dst, b []byte) ([]byte, error) {
	if bytes.HasPrefix(b, s2Magic) {
		return decodeS2(dst, b[len(s2Magic):])
	}
	if !bytes.HasPrefix(b, zstdMagic) {
		return b, nil // stored uncompressed, before compression
	}
	p, err := payloadDecoder.DecodeAll(b, dst)
	if err != nil {
		return nil, fmt.Errorf("decompress payload: %w", err)
	}
	return p, nil
}

// decodeS2 decodes an S2 block into dst's capacity, or a new buffer if
// that is too small; what the block says it holds is checked against
// maxPayloadMemory before anything is allocated.
func decodeS2(dst, block []byte) ([]byte, error) {
	n, err := s2.DecodedLen(block)
	if err == nil && n > maxPayloadMemory {
		err = fmt.Errorf("%d bytes, more than any payload", n)
	}
	if err != nil {
		return nil, fmt.Errorf("decompress payload: %w", err)
	}
	p, err := s2.Decode(dst[:cap(dst)], block)
	if err != nil {
		return nil, fmt.Errorf("decompress payload: %w", err)
	}
	return p, nil
}

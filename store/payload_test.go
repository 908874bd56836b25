package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
)

// incompressiblePayload is a JSON object of about n bytes that zstd cannot
// shrink much, for tests about the space payloads take once stored.
func incompressiblePayload(n int) []byte {
	raw := make([]byte, n*3/4)
	r := rand.NewChaCha8([32]byte{1})
	_, _ = r.Read(raw)
	return []byte(`{"body":"` + base64.StdEncoding.EncodeToString(raw) + `"}`)
}

// webhookPayload is a real pull_request delivery (octokit's example).
func webhookPayload(t *testing.T) []byte {
	t.Helper()
	p, err := os.ReadFile("../handlers/testdata/webhooks/pull_request/ready_for_review.with-installation.payload.json")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// storedPayload reads a delivery's payload as the database holds it, from
// the main file or, on SQLite, the inbox if it has not moved yet.
func storedPayload(t *testing.T, s *Store, id string) []byte {
	t.Helper()
	var b []byte
	err := s.DB.QueryRow(`SELECT payload FROM deliveries WHERE id = $1`, id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) && s.inbox != nil {
		err = s.inbox.db.QueryRow(`SELECT payload FROM inbox WHERE id = $1`, id).Scan(&b)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPayloadStoredCompressed(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		payload := webhookPayload(t)
		for _, d := range []Delivery{
			{ID: "real", Event: "pull_request", Payload: payload},
			{ID: "empty", Event: "ping", Payload: nil},
		} {
			if ok, err := s.EnqueueDelivery(ctx, d); err != nil || !ok {
				t.Fatalf("EnqueueDelivery(%s) = %v, %v", d.ID, ok, err)
			}
		}
		stored := storedPayload(t, s, "real")
		magic := map[string][]byte{DialectSQLite: zstdMagic, DialectPostgres: s2Magic}[s.Dialect]
		if !bytes.HasPrefix(stored, magic) || len(stored)*5 > len(payload) {
			t.Errorf("stored payload is %d bytes for %d delivered (prefix % x); want % x, under a fifth",
				len(stored), len(payload), stored[:min(4, len(stored))], magic)
		}
		got, err := s.Delivery(ctx, "real")
		if err != nil || !bytes.Equal(got.Payload, payload) {
			t.Fatalf("Delivery(real) = %d bytes, %v; want the %d bytes delivered", len(got.Payload), err, len(payload))
		}
		if s.Dialect == DialectPostgres {
			// Kept in the row itself, not moved to TOAST (migration 0021).
			var toast int64
			const q = `SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'deliveries'::regclass`
			if err := s.DB.QueryRow(q).Scan(&toast); err != nil || toast != 0 {
				t.Errorf("deliveries' TOAST table holds %d bytes (%v), want none", toast, err)
			}
		}
		if s.inbox != nil {
			// And after the move into the main file, which copies it as stored.
			mustDo(t, s.inbox.moveAll(ctx))
			if moved := storedPayload(t, s, "real"); !bytes.Equal(moved, stored) {
				t.Errorf("the move changed the stored payload: %d bytes, was %d", len(moved), len(stored))
			}
			if got, err := s.Delivery(ctx, "real"); err != nil || !bytes.Equal(got.Payload, payload) {
				t.Fatalf("Delivery(real) after the move = %d bytes, %v", len(got.Payload), err)
			}
		}
		if got, err := s.Delivery(ctx, "empty"); err != nil || got.Payload == nil || len(got.Payload) != 0 {
			t.Errorf("Delivery(empty) = %q (nil %v), %v; want an empty payload", got.Payload, got.Payload == nil, err)
		}
	})
}

// Rows written before payloads were compressed hold the JSON as delivered.
func TestPayloadStoredUncompressedReadsBack(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		payload := []byte(` {"action":"opened"}`)
		mustDo(t, s.inTx(ctx, func(tx *sql.Tx) error {
			_, _, err := s.recordDeliveries(ctx, tx, []Delivery{{ID: "old", Event: "pull_request", Payload: payload}}, nil)
			return err
		}))
		got, err := s.Delivery(ctx, "old")
		if err != nil || !bytes.Equal(got.Payload, payload) {
			t.Fatalf("Delivery(old) = %q, %v; want %q", got.Payload, err, payload)
		}
	})
}

// A corrupt payload of either codec is an error, and so is an S2 block that
// claims more than any payload holds (refused before it is allocated).
func TestPayloadCorruptIsAnError(t *testing.T) {
	t.Parallel()
	huge := binary.AppendUvarint(bytes.Clone(s2Magic), maxPayloadMemory+1)
	forEachEngine(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for id, bad := range map[string][]byte{
			"zstd": append(bytes.Clone(zstdMagic), []byte("not a zstd frame")...),
			"s2":   append(bytes.Clone(s2Magic), []byte("\x20not an s2 block")...),
			"huge": append(huge, []byte("\x00\x01")...),
		} {
			mustDo(t, s.inTx(ctx, func(tx *sql.Tx) error {
				_, _, err := s.recordDeliveries(ctx, tx, []Delivery{{ID: id, Event: "pull_request", Payload: bad}}, nil)
				return err
			}))
			_, err := s.Delivery(ctx, id)
			if err == nil || !strings.Contains(err.Error(), "decompress payload") || errors.Is(err, ErrNotFound) {
				t.Errorf("Delivery(%s) error = %v; want a decompression error", id, err)
			}
		}
	})
}

// Both codecs read back whichever database holds them (a database moved
// from one engine's rows to the other's, or an older build's rows), into a
// buffer too small as well as one large enough.
func TestEncodePayloadRoundTrip(t *testing.T) {
	t.Parallel()
	for _, p := range [][]byte{[]byte(`{}`), []byte(`{"a":"` + strings.Repeat("é", 5000) + `"}`), incompressiblePayload(64 << 10)} {
		for name, enc := range map[string]func([]byte) []byte{"zstd": encodePayload, "s2": encodePayloadS2} {
			stored := enc(p)
			if name == "s2" && cap(stored) != len(stored) {
				t.Errorf("s2: %d bytes stored in a buffer of %d; it waits for its batch's write at its size", len(stored), cap(stored))
			}
			if !compressed(stored) {
				t.Errorf("%s: %d bytes stored as % x..., not marked compressed", name, len(stored), stored[:4])
			}
			for _, dst := range [][]byte{nil, make([]byte, 0, 16), make([]byte, 0, len(p)+10)} {
				got, err := decodePayloadInto(dst, stored)
				if err != nil || !bytes.Equal(got, p) {
					t.Errorf("%s round trip of %d bytes into cap %d = %d bytes, %v", name, len(p), cap(dst), len(got), err)
				}
			}
		}
	}
	if got := encodePayloadS2(nil); got == nil || len(got) != 0 {
		t.Errorf("encodePayloadS2(nil) = %v; want empty, not nil (the column is NOT NULL)", got)
	}
}

// seenHandler records the payload each Prepare was given, and declines
// deliveries of the event "declined" (they get jobs).
type seenHandler struct {
	mu   sync.Mutex
	seen map[string]string
}

func (h *seenHandler) Parallel() int           { return 1 } // one goroutine: every buffer reused
func (h *seenHandler) Takes(event string) bool { return event != "push" }
func (h *seenHandler) Prepare(d Delivery) Handling {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen[d.ID] = string(d.Payload)
	if d.Event == "declined" {
		return nil
	}
	return askHandling{}
}

// The move decompresses each payload into the last one's buffer: every
// Prepare still sees its own payload, and the payloads as stored, which the
// deliveries given jobs carry on, are left as they were, a payload stored
// uncompressed (before compression) too.
func TestPrepareReusesOneBufferAndKeepsStoredPayloads(t *testing.T) {
	t.Parallel()
	h := &seenHandler{seen: map[string]string{}}
	s := &Store{handler: h}
	s.started.Store(true)
	real := webhookPayload(t)
	legacy := `{"stored":"before compression, and larger than the others' ` + strings.Repeat("x", 64) + `"}`
	ds := []Delivery{{ID: "legacy", Event: "declined", Payload: []byte(legacy)}}
	want := map[string]string{"legacy": legacy}
	for i, p := range [][]byte{[]byte(`{"short":1}`), real, []byte(`{"a":"b"}`)} {
		for _, ev := range []string{"pull_request", "declined", "push"} {
			id := fmt.Sprintf("%s-%d", ev, i)
			want[id] = string(p)
			ds = append(ds, Delivery{ID: id, Event: ev, Payload: encodePayload(p)})
		}
	}
	stored := make([][]byte, len(ds))
	for i, d := range ds {
		stored[i] = bytes.Clone(d.Payload)
	}

	hs := s.prepare(ds)
	for i, d := range ds {
		if d.Event == "push" {
			if _, ok := h.seen[d.ID]; ok {
				t.Errorf("%s: prepared, but its event is not taken", d.ID)
			}
		} else if got := h.seen[d.ID]; got != want[d.ID] {
			t.Errorf("%s: Prepare saw %d bytes %.40q, want %d", d.ID, len(got), got, len(want[d.ID]))
		}
		if (hs[i] != nil) != (d.Event == "pull_request") && d.ID != "legacy" {
			t.Errorf("%s: handling %v", d.ID, hs[i])
		}
		if !bytes.Equal(d.Payload, stored[i]) {
			t.Errorf("%s: the payload as stored changed", d.ID)
		}
	}
}

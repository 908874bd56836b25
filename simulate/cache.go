package simulate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Answers is where the gatherer keeps what GitHub answered between runs:
// what cannot change for its key (the files at a commit, a blob), or what
// says when it was read (a closed pull request's facts carry its
// updated_at; a team its reading time), so a second run asks GitHub almost
// nothing. Keys are printable text. A failed Get is a miss.
type Answers interface {
	Get(ctx context.Context, key string) ([]byte, bool)
	Put(ctx context.Context, key string, value []byte) error
}

// DiskCache keeps answers on disk, one JSON file per key (the command's
// cache). An empty Dir keeps nothing.
type DiskCache struct {
	Dir string
}

func (c *DiskCache) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:])+".json")
}

// Get returns the entry of key; false when there is none or it was
// written by another version of the format.
func (c *DiskCache) Get(_ context.Context, key string) ([]byte, bool) {
	if c == nil || c.Dir == "" {
		return nil, false
	}
	data, err := os.ReadFile(c.path(key))
	if err != nil {
		return nil, false
	}
	var e entry
	if json.Unmarshal(data, &e) != nil || e.Key != key || e.Version != cacheVersion {
		return nil, false
	}
	return e.Value, true
}

// entry is one cached answer; Key guards against a hash collision and
// Version against reading an entry an older build wrote.
type entry struct {
	Version int             `json:"version"`
	Key     string          `json:"key"`
	Value   json.RawMessage `json:"value"`
}

const cacheVersion = 1

// Put stores value (JSON) under key, atomically: a crash leaves the old
// entry or none.
func (c *DiskCache) Put(_ context.Context, key string, value []byte) error {
	if c == nil || c.Dir == "" {
		return nil
	}
	data, err := json.Marshal(entry{Version: cacheVersion, Key: key, Value: value})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.CreateTemp(c.Dir, "tmp-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return os.Rename(tmp.Name(), c.path(key))
}

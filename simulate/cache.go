package simulate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Cache keeps GitHub's answers on disk between runs, one JSON file per key.
// It holds what cannot change for its key (the files at a commit, a blob)
// or says when it was read (a closed pull request's facts carry its
// updated_at; a team its reading time), so a second run asks GitHub almost
// nothing. A nil Cache or an empty Dir keeps nothing.
type Cache struct {
	Dir string
}

func (c *Cache) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:])+".json")
}

// get fills v from the entry of key; false when there is none or it no
// longer decodes (an older format), which then counts as a miss.
func (c *Cache) get(key string, v any) bool {
	if c == nil || c.Dir == "" {
		return false
	}
	data, err := os.ReadFile(c.path(key))
	if err != nil {
		return false
	}
	var e entry
	if json.Unmarshal(data, &e) != nil || e.Key != key || e.Version != cacheVersion {
		return false
	}
	return json.Unmarshal(e.Value, v) == nil
}

// entry is one cached answer; Key guards against a hash collision and
// Version against reading an entry an older build wrote.
type entry struct {
	Version int             `json:"version"`
	Key     string          `json:"key"`
	Value   json.RawMessage `json:"value"`
}

const cacheVersion = 1

// put stores v under key, atomically (a crash leaves the old entry or none).
func (c *Cache) put(key string, v any) error {
	if c == nil || c.Dir == "" {
		return nil
	}
	value, err := json.Marshal(v)
	if err != nil {
		return err
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

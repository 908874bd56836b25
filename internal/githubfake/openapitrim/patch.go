package openapitrim

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Patch applies upstream-request-body-diffs.json to doc: each entry names a
// JSON pointer into an operation and the keywords to set there ("a.b.c"
// keys set nested members). The discriminator is left out on purpose:
// kin-openapi then rejects a check run without "status", which GitHub
// accepts (it defaults to queued). A pointer to a stubbed or missing
// operation is an error, so a rule cannot silently stop applying.
func Patch(doc *Document, diffs []byte) error {
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(diffs, &entries); err != nil {
		return fmt.Errorf("openapitrim: parse upstream rules: %w", err)
	}
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)
	patched := 0
	for _, name := range names {
		var entry map[string]any
		if err := json.Unmarshal(entries[name], &entry); err != nil || entry["pointer"] == nil {
			continue // "about" and other prose
		}
		if err := patchEntry(doc.Paths, entry); err != nil {
			return fmt.Errorf("openapitrim: upstream rule %s: %w", name, err)
		}
		patched++
	}
	if patched == 0 {
		return errors.New("openapitrim: no upstream rules found to patch")
	}
	return nil
}

func patchEntry(paths map[string]map[string]json.RawMessage, entry map[string]any) error {
	pointer, _ := entry["pointer"].(string)
	tokens := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for i := range tokens {
		tokens[i] = unescapePointer(tokens[i])
	}
	if len(tokens) < 3 || tokens[0] != "paths" {
		return fmt.Errorf("unsupported pointer %q", pointer)
	}
	item, ok := paths[tokens[1]]
	if !ok || item[tokens[2]] == nil {
		return fmt.Errorf("pointer %q: no such operation", pointer)
	}
	var op map[string]any
	if err := json.Unmarshal(item[tokens[2]], &op); err != nil {
		return fmt.Errorf("parse operation: %w", err)
	}
	target := op
	for _, tok := range tokens[3:] {
		next, ok := target[tok].(map[string]any)
		if !ok {
			return fmt.Errorf("pointer %q: %q is not an object", pointer, tok)
		}
		target = next
	}
	if err := setKeywords(target, entry); err != nil {
		return err
	}
	encoded, err := json.Marshal(op)
	if err != nil {
		return fmt.Errorf("encode operation: %w", err)
	}
	item[tokens[2]] = encoded
	return nil
}

func setKeywords(target, entry map[string]any) error {
	for key, value := range entry {
		if key == "pointer" || key == "discriminator" {
			continue
		}
		obj := target
		parts := strings.Split(key, ".")
		for _, part := range parts[:len(parts)-1] {
			next, ok := obj[part].(map[string]any)
			if !ok {
				return fmt.Errorf("key %q: %q is not an object", key, part)
			}
			obj = next
		}
		obj[parts[len(parts)-1]] = value
	}
	return nil
}

package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// decodeSparse fills v, a pointer to a struct of the fields a handler reads
// (prEvent, reviewEvent), from a JSON payload, as json.Unmarshal would, but
// without decoding what v leaves out: a value v has no field for is
// skipped by finding its end, strings by bytes.IndexByte, so the
// repositories, users' URLs and links that make up most of a webhook
// payload cost a fast scan, not a decode. Each value v keeps is decoded by
// encoding/json, so strings, numbers and timestamps come out exactly as
// json.Unmarshal makes them, and a value of the wrong type is an error as
// it is there.
//
// The payload is meant to be valid JSON: the webhook intake checked it
// (readEnvelope) before storing it. On invalid JSON decodeSparse returns an
// error or skips the fault; it never reads out of bounds, and the values it
// skips cost one pass. It recurses only as deep as v's type nests; deeper
// values are skipped without recursion.
func decodeSparse(payload []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decodeSparse: %T is not a pointer to a struct", v)
	}
	d := sparse{b: payload}
	end, err := d.value(skipSpace(payload, 0), rv.Elem())
	if err == nil && skipSpace(payload, end) < len(payload) {
		err = errors.New("decodeSparse: data after the top-level value")
	}
	return err
}

// sparse decodes one payload in a single pass: what the target keeps is
// decoded where it is found, everything else skipped.
type sparse struct{ b []byte }

// value decodes the JSON value at b[i] into dst, a settable value of v's
// type tree, and returns where the value ends.
func (d sparse) value(i int, dst reflect.Value) (int, error) {
	t := dst.Type()
	switch {
	case t.Kind() == reflect.Struct && !isLeaf(t):
		return d.object(i, dst)
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && !isLeaf(t.Elem()):
		if d.null(i) {
			dst.SetZero()
			return i + len("null"), nil
		}
		if dst.IsNil() {
			dst.Set(reflect.New(t.Elem()))
		}
		return d.object(i, dst.Elem())
	case t.Kind() == reflect.Slice && !isLeaf(t):
		return d.array(i, dst)
	}
	end, err := skipValue(d.b, i)
	if err != nil {
		return 0, err
	}
	return end, json.Unmarshal(d.b[i:end], dst.Addr().Interface())
}

// isLeaf: t decodes itself (github.Timestamp) or holds no fields to pick.
func isLeaf(t reflect.Type) bool {
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return true
	}
	return t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Pointer && t.Elem().Kind() != reflect.Struct
}

func (d sparse) null(i int) bool { return bytes.HasPrefix(d.b[i:], []byte("null")) }

// object decodes the object at b[i] into the struct dst; null leaves it as
// it was, as json.Unmarshal does.
func (d sparse) object(i int, dst reflect.Value) (int, error) {
	switch {
	case i >= len(d.b):
		return 0, errors.New("decodeSparse: a value is missing")
	case d.null(i):
		return i + len("null"), nil
	case d.b[i] != '{':
		return 0, fmt.Errorf("decodeSparse: %.20q where an object belongs", d.b[i:])
	}
	names := fieldsOf(dst.Type())
	if i = skipSpace(d.b, i+1); i < len(d.b) && d.b[i] == '}' {
		return i + 1, nil
	}
	for i < len(d.b) && d.b[i] == '"' {
		keyEnd, err := skipString(d.b, i)
		if err != nil {
			return 0, err
		}
		field, err := names.index(d.b[i:keyEnd])
		if err != nil {
			return 0, err
		}
		if i = skipSpace(d.b, keyEnd); i >= len(d.b) || d.b[i] != ':' {
			return 0, errors.New("decodeSparse: no colon after an object key")
		}
		i = skipSpace(d.b, i+1)
		var end int
		if field < 0 {
			end, err = skipValue(d.b, i)
		} else if end, err = d.value(i, dst.Field(field)); err != nil {
			err = fmt.Errorf("%s: %w", names.names[field], err)
		}
		if err != nil {
			return 0, err
		}
		if i = skipSpace(d.b, end); i < len(d.b) && d.b[i] == ',' {
			i = skipSpace(d.b, i+1)
			continue
		}
		if i < len(d.b) && d.b[i] == '}' {
			return i + 1, nil
		}
		break
	}
	return 0, errors.New("decodeSparse: a malformed object")
}

// array decodes the array at b[i] into the slice dst; null empties it.
func (d sparse) array(i int, dst reflect.Value) (int, error) {
	switch {
	case i >= len(d.b):
		return 0, errors.New("decodeSparse: a value is missing")
	case d.null(i):
		dst.SetZero()
		return i + len("null"), nil
	case d.b[i] != '[':
		return 0, fmt.Errorf("decodeSparse: %.20q where an array belongs", d.b[i:])
	}
	// As json.Unmarshal, into the slice's own elements while it has them:
	// a key given twice decodes its second array over the first.
	if i = skipSpace(d.b, i+1); i < len(d.b) && d.b[i] == ']' {
		dst.Set(reflect.MakeSlice(dst.Type(), 0, 0))
		return i + 1, nil
	}
	for n := 0; i < len(d.b); n++ {
		if n >= dst.Cap() {
			dst.Grow(1)
		}
		if n >= dst.Len() {
			dst.SetLen(n + 1)
		}
		end, err := d.value(i, dst.Index(n))
		if err != nil {
			return 0, fmt.Errorf("[%d]: %w", n, err)
		}
		if i = skipSpace(d.b, end); i < len(d.b) && d.b[i] == ',' {
			i = skipSpace(d.b, i+1)
			continue
		}
		if i < len(d.b) && d.b[i] == ']' {
			dst.SetLen(n + 1)
			return i + 1, nil
		}
		break
	}
	return 0, errors.New("decodeSparse: a malformed array")
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the value that starts at b[i]: a string
// ends at its closing quote, an object or array at its matching bracket
// (strings inside skipped whole), anything else before the next
// delimiter.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("decodeSparse: a value is missing")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("decodeSparse: an unterminated object or array")
	}
	j := i
	for j < len(b) && !endsLiteral(b[j]) {
		j++
	}
	if j == i {
		return 0, fmt.Errorf("decodeSparse: unexpected %q", b[i])
	}
	return j, nil
}

func endsLiteral(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// skipString returns the end of the string whose quote is at b[i].
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			break
		}
		q := j + k
		backslashes := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return q + 1, nil
		}
		j = q + 1
	}
	return 0, errors.New("decodeSparse: an unterminated string")
}

// index finds the field a quoted key names as encoding/json does: its tag
// exactly, else one that differs only in case; -1 none. Most keys of a
// payload name no field and are plain lower-case ASCII: they are looked up
// without making a string of them.
func (f *fieldNames) index(quoted []byte) (int, error) {
	raw := quoted[1 : len(quoted)-1]
	if lowerASCII(raw) {
		if i, ok := f.lower[string(raw)]; ok {
			return i, nil
		}
		return -1, nil
	}
	if i, ok := f.exact[string(raw)]; ok {
		return i, nil
	}
	var key string
	if err := json.Unmarshal(quoted, &key); err != nil {
		return 0, fmt.Errorf("decodeSparse: an object key: %w", err)
	}
	if i, ok := f.exact[key]; ok {
		return i, nil
	}
	for i, name := range f.names { // Unicode folds some letters onto ASCII ones
		if strings.EqualFold(name, key) {
			return i, nil
		}
	}
	return -1, nil
}

// lowerASCII: no escapes, capitals or other than ASCII in b.
func lowerASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf || c == '\\' || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// fieldNames are a struct type's JSON names: exact, by field index, and
// lower, which answers a lower-case ASCII key in one look-up: the field it
// names exactly, else the first whose name it matches but for case.
type fieldNames struct {
	exact, lower map[string]int
	names        []string
}

var fieldCache sync.Map // reflect.Type -> *fieldNames

func fieldsOf(t reflect.Type) *fieldNames {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*fieldNames)
	}
	f := &fieldNames{exact: map[string]int{}, lower: map[string]int{}, names: make([]string, t.NumField())}
	folded := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		f.names[i] = name
		if _, dup := f.exact[name]; !dup {
			f.exact[name] = i
		}
		if _, dup := folded[strings.ToLower(name)]; !dup {
			folded[strings.ToLower(name)] = i
		}
	}
	for k, i := range folded {
		if j, ok := f.exact[k]; ok {
			i = j
		}
		f.lower[k] = i
	}
	fieldCache.Store(t, f)
	return f
}

package policy

import _ "embed" // for Schema

// Schema is a JSON Schema (draft 2020-12) for the policy file, for editors
// and other tools. Parse is the authority: it also checks what a schema
// cannot (time zones exist, regular expressions compile, names are unique).
//
//go:embed schema.json
var Schema []byte

package githubfake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	keyOnce sync.Once
	appKey  *rsa.PrivateKey
	keyPEM  []byte
)

// privateKey is generated once per process: a 2048-bit key takes long
// enough that per-test generation would dominate test time.
func privateKey() (*rsa.PrivateKey, []byte) {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(fmt.Sprintf("githubfake: generate RSA key: %v", err))
		}
		appKey = k
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	})
	return appKey, keyPEM
}

// PrivateKeyPEM is the app's private key (PKCS #1 PEM, as GitHub issues
// them); JWTs for the app endpoints must be signed with it.
func (f *Fake) PrivateKeyPEM() []byte {
	_, p := privateKey()
	return append([]byte(nil), p...)
}

// IssueToken returns an installation access token without the JWT
// exchange, for tests of code that is handed a token.
func (f *Fake) IssueToken(installationID int64) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok, _ := f.issueLocked(installationID)
	return tok
}

func (f *Fake) issueLocked(installationID int64) (string, time.Time) {
	buf := make([]byte, 18)
	rand.Read(buf)
	tok := "ghs_" + strings.TrimRight(base64.RawURLEncoding.EncodeToString(buf), "=")
	exp := time.Now().Add(tokenTTL).UTC().Truncate(time.Second)
	f.st.tokens[tok] = token{installation: installationID, expires: exp}
	return tok, exp
}

// authenticate enforces GitHub's two credentials: /app/ endpoints (and a
// repository's installation) take the app's JWT, everything else an
// installation token.
func (f *Fake) authenticate(req *request, routePath string) (response, bool) {
	scheme, cred, _ := strings.Cut(req.r.Header.Get("Authorization"), " ")
	scheme = strings.ToLower(scheme)
	if scheme != "token" && scheme != "bearer" || cred == "" {
		return unauthorized("Requires authentication"), false
	}
	if routePath == "/app" || strings.HasPrefix(routePath, "/app/") || routePath == repoInstallationPath {
		if scheme != "bearer" {
			return unauthorized("A JSON web token could not be decoded"), false
		}
		if err := verifyJWT(cred, time.Now()); err != nil {
			return unauthorized("A JSON web token could not be decoded: " + err.Error()), false
		}
		return response{}, true
	}
	if resp, ok, isUser := f.authenticateUser(req, routePath, cred); isUser {
		return resp, ok
	}
	f.mu.Lock()
	tok, ok := f.st.tokens[cred]
	f.mu.Unlock()
	if !ok || time.Now().After(tok.expires) {
		return unauthorized("Bad credentials"), false
	}
	req.installation = tok.installation
	return response{}, true
}

func unauthorized(text string) response {
	return response{status: http.StatusUnauthorized, body: msg(text)}
}

// verifyJWT checks what GitHub checks of an app JWT: RS256 signed by the
// app's key, issued by the app, not expired, and expiring within ten
// minutes.
func verifyJWT(raw string, now time.Time) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if header.Alg != "RS256" {
		return fmt.Errorf("alg %q, want RS256", header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	key, _ := privateKey()
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Exp int64           `json:"exp"`
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	// ghinstallation sends iss as a string; GitHub accepts a number too.
	if iss := strings.Trim(string(claims.Iss), `"`); iss != strconv.Itoa(appID) {
		return fmt.Errorf("iss %s, want %d", claims.Iss, appID)
	}
	exp := time.Unix(claims.Exp, 0)
	if !exp.After(now) {
		return errors.New("expired")
	}
	if exp.After(now.Add(10*time.Minute + time.Minute)) {
		return errors.New("exp is too far in the future")
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

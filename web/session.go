package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
)

// Sessions live in the browser: a cookie signed (HMAC-SHA256) and
// encrypted (AES-256) with keys derived from server.session_key, so every
// replica with the key reads it and no session table is needed. The user's
// GitHub token is inside, encrypted, and never logged.

const (
	sessionCookie = "rp_session"
	stateCookie   = "rp_oauth"
	// SessionTTL is how long a sign-in lasts; GitHub's user tokens last 8 h.
	SessionTTL = 8 * time.Hour
	stateTTL   = 10 * time.Minute
)

// session is the signed-in person.
type session struct {
	ID      string // random; keys the access cache and the CSRF token
	Login   string
	Token   string // GitHub user-to-server token
	Expires int64  // Unix seconds
}

// oauthState ties a callback to the browser that started the sign-in.
type oauthState struct {
	State string
	Next  string
}

type sessions struct {
	codec  *securecookie.SecureCookie
	csrf   []byte
	secure bool
}

func newSessions(key []byte, secure bool) (*sessions, error) {
	if len(key) < 32 {
		return nil, errors.New("web: the session key must be 32 bytes or more")
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	codec := securecookie.New(derive("reviewpolicy session hash"), derive("reviewpolicy session block"))
	codec.MaxAge(int(SessionTTL.Seconds()))
	codec.SetSerializer(securecookie.JSONEncoder{})
	return &sessions{codec: codec, csrf: derive("reviewpolicy csrf"), secure: secure}, nil
}

func (s *sessions) cookie(name, value string, ttl time.Duration) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(ttl.Seconds()), Expires: time.Now().Add(ttl)}
}

func (s *sessions) clear(w http.ResponseWriter, name string) {
	c := s.cookie(name, "", 0)
	c.MaxAge, c.Expires = -1, time.Unix(0, 0)
	http.SetCookie(w, c)
}

// start sets the session cookie for login.
func (s *sessions) start(w http.ResponseWriter, login, token string, now time.Time) error {
	v := session{ID: randomString(), Login: login, Token: token, Expires: now.Add(SessionTTL).Unix()}
	enc, err := s.codec.Encode(sessionCookie, v)
	if err != nil {
		return fmt.Errorf("web: encode session: %w", err)
	}
	http.SetCookie(w, s.cookie(sessionCookie, enc, SessionTTL))
	return nil
}

// get reads the session; nil when there is none, it was tampered with, or
// it expired.
func (s *sessions) get(r *http.Request, now time.Time) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	var v session
	if err := s.codec.Decode(sessionCookie, c.Value, &v); err != nil || v.Login == "" || now.Unix() >= v.Expires {
		return nil
	}
	return &v
}

func (s *sessions) putState(w http.ResponseWriter, st oauthState) error {
	enc, err := s.codec.Encode(stateCookie, st)
	if err != nil {
		return fmt.Errorf("web: encode state: %w", err)
	}
	http.SetCookie(w, s.cookie(stateCookie, enc, stateTTL))
	return nil
}

// takeState reads and clears the sign-in state; ok is false without one
// or when it does not match got.
func (s *sessions) takeState(w http.ResponseWriter, r *http.Request, got string) (oauthState, bool) {
	c, err := r.Cookie(stateCookie)
	if err != nil {
		return oauthState{}, false
	}
	s.clear(w, stateCookie)
	var st oauthState
	if err := s.codec.Decode(stateCookie, c.Value, &st); err != nil || st.State == "" ||
		subtle.ConstantTimeCompare([]byte(st.State), []byte(got)) != 1 {
		return oauthState{}, false
	}
	return st, true
}

// csrfToken is the session's token for its forms.
func (s *sessions) csrfToken(v *session) string {
	m := hmac.New(sha256.New, s.csrf)
	m.Write([]byte(v.ID))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *sessions) checkCSRF(v *session, got string) bool {
	return v != nil && hmac.Equal([]byte(s.csrfToken(v)), []byte(got))
}

func randomString() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

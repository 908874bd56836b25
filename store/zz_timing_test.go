package store

import (
	"context"
	"testing"
	"time"
)

func TestZZTiming(t *testing.T) {
	for _, e := range engines {
		url := e.newURL(t)
		start := time.Now()
		s := openStore(t, url, Options{})
		t.Logf("%s first open %v", e.name, time.Since(start))
		s.Close()
		start = time.Now()
		openStore(t, url, Options{})
		t.Logf("%s second open %v", e.name, time.Since(start))
	}
	_ = context.Background()
}

package main

import (
	"strings"
	"testing"
)

func TestCheckLoopback(t *testing.T) {
	t.Parallel()
	ok := []string{
		"http://127.0.0.1:8080/api/github/hook", "http://127.8.9.10/", "http://localhost:1/x",
		"http://LOCALHOST/", "http://[::1]:9000/", "https://127.0.0.1/",
	}
	for _, u := range ok {
		if _, err := checkLoopback(u); err != nil {
			t.Errorf("checkLoopback(%q) = %v, want accepted", u, err)
		}
	}
	refused := []string{
		"http://10.0.0.1/", "http://192.168.1.5:8080/", "http://example.com/", "http://0.0.0.0:8080/",
		"http://[::]:8080/", "http://localhost.example.com/", "http://128.0.0.1/", "ftp://127.0.0.1/",
		"http://[::ffff:10.0.0.1]/", "127.0.0.1:8080", "",
	}
	for _, u := range refused {
		if _, err := checkLoopback(u); err == nil {
			t.Errorf("checkLoopback(%q) accepted, want refused", u)
		}
	}
}

func TestProcStatusKB(t *testing.T) {
	t.Parallel()
	status := "Name:\treviewpolicy\nVmPeak:\t 1300000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   50000 kB\nThreads:\t12\n"
	if got, err := procStatusKB(strings.NewReader(status), "VmHWM"); err != nil || got != 51234 {
		t.Errorf("VmHWM = %d, %v; want 51234", got, err)
	}
	if got, err := procStatusKB(strings.NewReader(status), "VmRSS"); err != nil || got != 50000 {
		t.Errorf("VmRSS = %d, %v; want 50000", got, err)
	}
	if _, err := procStatusKB(strings.NewReader(status), "VmSwap"); err == nil {
		t.Errorf("a missing key should be an error")
	}
	if _, err := procStatusKB(strings.NewReader(status), "Threads"); err == nil {
		t.Errorf("a value without kB should be an error")
	}
}

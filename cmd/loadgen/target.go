package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// checkLoopback refuses any target off this machine: this workplace allows
// load only against loopback addresses. The host must be literally
// localhost, 127.0.0.0/8 or ::1, so no name lookup can redirect it.
func checkLoopback(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("target %q: scheme must be http or https", raw)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return u, nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return u, nil
	}
	return nil, fmt.Errorf("target %q: refusing a host that is not loopback (127.0.0.0/8, ::1 or localhost)", raw)
}

// procStatusKB reads one "Key:   123 kB" line of /proc/PID/status.
func procStatusKB(r io.Reader, key string) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("%s: unexpected value %q", key, v)
		}
		return strconv.ParseInt(fields[0], 10, 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: not found", key)
}

// cpuTimes is the first line of /proc/stat: jiffies the machine spent
// busy and idle (idle + iowait) since boot.
type cpuTimes struct{ Busy, Idle int64 }

// parseProcStat reads the aggregate "cpu" line of /proc/stat.
func parseProcStat(r io.Reader) (cpuTimes, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 || fields[0] != "cpu" {
			continue
		}
		var t cpuTimes
		for i, f := range fields[1:] {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return cpuTimes{}, fmt.Errorf("/proc/stat: %q: %w", f, err)
			}
			switch i {
			case 3, 4: // idle, iowait
				t.Idle += n
			case 8, 9: // guest time is already counted in user
			default:
				t.Busy += n
			}
		}
		return t, nil
	}
	return cpuTimes{}, fmt.Errorf("/proc/stat: no cpu line")
}

// busyShare is the fraction of CPU time the whole machine was busy between
// two readings.
func busyShare(before, after cpuTimes) float64 {
	busy, idle := after.Busy-before.Busy, after.Idle-before.Idle
	if busy+idle <= 0 {
		return 0
	}
	return float64(busy) / float64(busy+idle)
}

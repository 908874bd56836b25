package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// server is a reviewpolicy process loadgen started itself (-server-cmd).
type server struct {
	cmd     *exec.Cmd
	URL     string // http://host:port from its "listening on" line
	logPath string
	exited  chan struct{}
	waitErr error // valid once exited is closed
}

// startServer runs cmdline (split on spaces, no shell) with env added to
// loadgen's own environment, its stderr to logPath, and waits for the
// "listening on http://ADDR" line the server prints once it serves.
func startServer(ctx context.Context, cmdline string, env []string, logPath string, timeout time.Duration) (*server, error) {
	args := strings.Fields(cmdline)
	if len(args) == 0 {
		return nil, errors.New("server-cmd is empty")
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("server log: %w", err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("server stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", args[0], err)
	}
	s := &server{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "listening on http://"); ok {
				select {
				case addr <- a:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		s.waitErr = cmd.Wait()
		logFile.Close()
		close(s.exited)
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case a := <-addr:
		s.URL = "http://" + loopbackHost(a)
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("server exited before listening (%v); its stderr ends:\n%s", s.waitErr, tail(logPath, 20))
	case <-timer.C:
		s.stop()
		return nil, fmt.Errorf("server did not print its address within %s; its stderr ends:\n%s", timeout, tail(logPath, 20))
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

// loopbackHost turns a wildcard listen address into one that can be dialled.
func loopbackHost(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// alive reports an error if the server has exited.
func (s *server) alive() error {
	select {
	case <-s.exited:
		return fmt.Errorf("server exited (%v); its stderr ends:\n%s", s.waitErr, tail(s.logPath, 20))
	default:
		return nil
	}
}

// pid is the server's process ID.
func (s *server) pid() int { return s.cmd.Process.Pid }

// serverLogPath is where server i (from 1) of n writes its stderr: base
// itself for one server, base with "-i" before its extension for several
// ("run.server.log" → "run.server-2.log").
func serverLogPath(base string, i, n int) string {
	if n <= 1 {
		return base
	}
	ext := filepath.Ext(base)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(base, ext), i, ext)
}

// memory reads the server's peak (VmHWM) and current (VmRSS) resident set.
func (s *server) memory() (peakKB, rssKB int64, err error) {
	read := func(key string) (int64, error) {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
		if err != nil {
			return 0, err
		}
		defer f.Close()
		return procStatusKB(f, key)
	}
	if peakKB, err = read("VmHWM"); err != nil {
		return 0, 0, err
	}
	rssKB, err = read("VmRSS")
	return peakKB, rssKB, err
}

// stop asks the server to shut down gracefully and kills it if it has not
// within 25 s (its own shutdown allows 20 s).
func (s *server) stop() error {
	if err := s.alive(); err != nil {
		return err
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(25 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return errors.New("server did not stop within 25s of SIGTERM; killed")
	}
	var exit *exec.ExitError
	if s.waitErr != nil && !errors.As(s.waitErr, &exit) {
		return s.waitErr
	}
	if exit != nil && !exit.Success() {
		return fmt.Errorf("server exited with %v; its stderr ends:\n%s", s.waitErr, tail(s.logPath, 20))
	}
	return nil
}

// tail returns the last n lines of the file at path, for error reports.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

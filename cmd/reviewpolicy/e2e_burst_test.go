package main

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// burstPolicy asks one writer per pull request and fails the template, so
// every pull request gets a request, a check run and a sticky comment.
const burstPolicy = `version: 1
template:
  sections:
    - {heading: Summary, min_words: 5}
reviewers:
  strategy: round-robin
  rules:
    - {name: docs, paths: ["*.md"], reviewers: ["@Codertocat/writers"], count: 1}
`

// burstDelivery is one delivery of a pull request's life, as GitHub sends it.
type burstDelivery struct {
	event, fixture string
	edit           func(m map[string]any)
}

// lifeOf lists GitHub's deliveries for opening a pull request with a
// reviewer and a label, then editing it: opened, review_requested,
// labeled, edited, a review and a check-suite re-run.
func lifeOf(n int) []burstDelivery {
	onPR := func(extra func(m map[string]any)) func(m map[string]any) {
		return func(m map[string]any) {
			m["number"] = n
			pr := m["pull_request"].(map[string]any)
			pr["number"] = n
			pr["id"] = 1000 + n
			pr["head"].(map[string]any)["sha"] = prSHA(n)
			if extra != nil {
				extra(m)
			}
		}
	}
	return []burstDelivery{
		{"pull_request", "pull_request/opened.payload.json", onPR(nil)},
		{"pull_request", "pull_request/review_requested.payload.json", onPR(nil)},
		{"pull_request", "pull_request/opened.payload.json", onPR(func(m map[string]any) {
			m["action"] = "labeled"
			m["label"] = map[string]any{"name": "docs"}
		})},
		{"pull_request", "pull_request/opened.payload.json", onPR(func(m map[string]any) {
			m["action"] = "edited"
			m["changes"] = map[string]any{"body": map[string]any{"from": "old"}}
		})},
		{"pull_request", "pull_request/synchronize.payload.json", onPR(nil)},
		{"pull_request_review", "pull_request_review/submitted.payload.json", func(m map[string]any) {
			m["pull_request"].(map[string]any)["number"] = n
			m["pull_request"].(map[string]any)["head"].(map[string]any)["sha"] = prSHA(n)
			m["review"].(map[string]any)["state"] = "commented"
		}},
	}
}

// seedBurst adds the policy, the team and n pull requests to the fake.
func seedBurst(h *harness, first, n int) {
	h.fake.SetFile(owner, repoName, "master", ".github/review-policy.yml", burstPolicy)
	h.fake.AddTeam(owner, "writers", "alice", "bob", "carol")
	for i := first; i < first+n; i++ {
		h.fake.AddPullRequest(owner, repoName, githubfake.PullRequest{Number: i, Title: "Docs " + strconv.Itoa(i),
			Body: "Too short.", HeadRef: "docs-" + strconv.Itoa(i), HeadSHA: prSHA(i), BaseRef: "master",
			Author: owner, Files: []string{"README.md"}, State: "open", Labels: []string{"docs"}})
	}
}

// sendAll sends every delivery at once, each under its own ID, some twice
// (a redelivery under the same ID), spread over the given servers.
// It returns how many were accepted (202) rather than recognised (200).
func sendAll(t *testing.T, urls []string, ds []burstDelivery, rng *rand.Rand) int64 {
	t.Helper()
	type sent struct {
		id   string
		d    burstDelivery
		body []byte
	}
	var all []sent
	for i, d := range ds {
		s := sent{id: fmt.Sprintf("%s-%d-%d", t.Name(), i, rng.Int()), d: d, body: payload(t, d.fixture, d.edit)}
		all = append(all, s)
		if rng.IntN(3) == 0 {
			all = append(all, s)
		}
	}
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	var wg sync.WaitGroup
	var accepted atomic.Int64
	for i, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, err := deliver(urls[i%len(urls)], s.d.event, s.id, s.body)
			if err != nil || (code != http.StatusAccepted && code != http.StatusOK) {
				t.Errorf("delivery %s: %d %v", s.id, code, err)
			}
			if code == http.StatusAccepted {
				accepted.Add(1)
			}
		}()
	}
	wg.Wait()
	return accepted.Load()
}

// checkBurstInvariants asserts, per pull request: one check run on its head,
// one sticky comment, one reviewer asked once.
func checkBurstInvariants(t *testing.T, h *harness, first, n int) {
	t.Helper()
	runs := map[string]int{}
	for _, r := range h.checkRuns() {
		runs[r.HeadSHA]++
	}
	asked := requestsByPR(t, h.fake.Calls())
	for i := first; i < first+n; i++ {
		if runs[prSHA(i)] != 1 {
			t.Errorf("PR #%d: %d check runs on its head, want 1", i, runs[prSHA(i)])
		}
		if cs := h.fake.Comments(owner, repoName, i); len(cs) != 1 {
			t.Errorf("PR #%d: %d sticky comments, want 1", i, len(cs))
		}
		users, _ := h.fake.RequestedReviewers(owner, repoName, i)
		if len(users) != 1 || len(asked[i]) != 1 || !slices.Equal(asked[i][0], users) {
			t.Errorf("PR #%d: requested %v through requests %v, want one reviewer asked once", i, users, asked[i])
		}
	}
}

func TestBurstsOfDeliveriesGiveOneOfEach(t *testing.T) {
	t.Parallel()
	const prs = 4
	h := setup(t)
	seedBurst(h, 10, prs)
	h.start(t, nil)
	for round := range 3 {
		rng := rand.New(rand.NewPCG(uint64(round), 13))
		var ds []burstDelivery
		for i := 10; i < 10+prs; i++ {
			ds = append(ds, lifeOf(i)...)
		}
		h.accepted.Add(sendAll(t, []string{h.url}, ds, rng))
		h.settle(t)
		checkBurstInvariants(t, h, 10, prs)
	}
}

// TestShuffledLifeOfAPullRequest replays one pull request's deliveries in
// random orders, repeated and concurrent, with the seed in the log.
func TestShuffledLifeOfAPullRequest(t *testing.T) {
	t.Parallel()
	h := setup(t)
	seedBurst(h, 30, 1)
	h.start(t, nil)
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 99))
		life := lifeOf(30)
		var ds []burstDelivery
		for range 1 + rng.IntN(3) {
			ds = append(ds, life[rng.IntN(len(life))])
		}
		ds = append(ds, life...)
		t.Logf("seed %d: %d deliveries", seed, len(ds))
		h.accepted.Add(sendAll(t, []string{h.url}, ds, rng))
		h.settle(t)
		checkBurstInvariants(t, h, 30, 1)
	}
}

// TestBurstsOnThreePostgresReplicas sends the bursts to three replicas
// sharing one PostgreSQL database.
func TestBurstsOnThreePostgresReplicas(t *testing.T) {
	t.Parallel()
	const prs = 4
	h := setup(t)
	seedBurst(h, 50, prs)
	cfg, err := os.ReadFile(h.cfgPath)
	must(t, err)
	must(t, os.WriteFile(h.cfgPath, append(cfg, "workers: {concurrency: 4}\n"...), 0o600))
	dbURL, db := newPostgresSchema(t)
	var urls []string
	for range 3 {
		h.startChild(t, "REVIEWPOLICY_DATABASE_URL="+dbURL)
		urls = append(urls, h.url)
	}
	for round := range 2 {
		rng := rand.New(rand.NewPCG(uint64(round), 7))
		var ds []burstDelivery
		for i := 50; i < 50+prs; i++ {
			ds = append(ds, lifeOf(i)...)
		}
		sendAll(t, urls, ds, rng)
		waitFor(t, "the replicas to settle", func() bool { return postgresSettled(t, db) })
		checkBurstInvariants(t, h, 50, prs)
	}
}

// postgresSettled reports whether no acknowledged delivery waits for its
// move (deliveries_unqueued: its job, or its handling, is given there) and
// no delivery or evaluation job waits.
func postgresSettled(t *testing.T, db *sql.DB) bool {
	var waiting int
	err := db.QueryRow(`SELECT (SELECT count(*) FROM deliveries_unqueued) + (SELECT count(*) FROM river_job
WHERE kind IN ('delivery', 'evaluate') AND state NOT IN ('completed', 'cancelled', 'discarded'))`).Scan(&waiting)
	return err == nil && waiting == 0
}

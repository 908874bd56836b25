package store

import (
	"cmp"
	"container/heap"
	"slices"

	"github.com/riverqueue/river/rivertype"
)

// JobQueue holds jobs waiting to start in a process, first the one River
// would fetch first (JobOrder), so that the fair queue (fairqueue.go)
// keeps its order among the jobs fetched together. The running slots
// (slots.go) and the webhooks' job gate (handlers) both keep one. Its
// owner locks around it.
type JobQueue struct {
	h   jobHeap
	seq uint64
}

// JobWaiter is a job waiting in a JobQueue. Ready is closed once Pop lets
// it in.
type JobWaiter struct {
	Job   *rivertype.JobRow // nil: placed by arrival alone
	Ready chan struct{}
	seq   uint64
	index int // in the heap; -1 once let in
}

// Len is how many jobs wait.
func (q *JobQueue) Len() int { return len(q.h) }

// Push adds a waiter for job.
func (q *JobQueue) Push(job *rivertype.JobRow) *JobWaiter {
	q.seq++
	w := &JobWaiter{Job: job, Ready: make(chan struct{}), seq: q.seq}
	heap.Push(&q.h, w)
	return w
}

// First is the waiter Pop would let in, nil if none waits.
func (q *JobQueue) First() *JobWaiter {
	if len(q.h) == 0 {
		return nil
	}
	return q.h[0]
}

// Pop lets the first waiter in: it leaves the queue and its Ready closes.
func (q *JobQueue) Pop() {
	close(heap.Pop(&q.h).(*JobWaiter).Ready)
}

// Remove takes w out of the queue; false if Pop let it in already.
func (q *JobQueue) Remove(w *JobWaiter) bool {
	if w.index < 0 {
		return false
	}
	heap.Remove(&q.h, w.index)
	return true
}

// Take lets in, without a place of their own, up to n waiters that pick
// accepts, asked in queue order, and returns them: each leaves the queue
// and its Ready closes. The owner of the queue took them along with the
// job it let in (handlers' cohorts of evaluations).
func (q *JobQueue) Take(n int, pick func(*JobWaiter) bool) []*JobWaiter {
	if n <= 0 || len(q.h) == 0 {
		return nil
	}
	order := slices.Clone(q.h)
	slices.SortFunc(order, func(a, b *JobWaiter) int {
		if order.less(a, b) {
			return -1
		}
		return 1
	})
	var took []*JobWaiter
	for _, w := range order {
		if len(took) == n {
			break
		}
		if pick(w) {
			heap.Remove(&q.h, w.index)
			close(w.Ready)
			took = append(took, w)
		}
	}
	return took
}

// JobOrder compares two jobs in River's fetch order (priority, then
// scheduled time, then ID): negative if a comes first.
func JobOrder(a, b *rivertype.JobRow) int {
	return cmp.Or(cmp.Compare(a.Priority, b.Priority), a.ScheduledAt.Compare(b.ScheduledAt), cmp.Compare(a.ID, b.ID))
}

type jobHeap []*JobWaiter

func (h jobHeap) Len() int { return len(h) }

func (h jobHeap) Less(i, j int) bool { return h.less(h[i], h[j]) }

func (jobHeap) less(a, b *JobWaiter) bool {
	if a.Job != nil && b.Job != nil {
		if c := JobOrder(a.Job, b.Job); c != 0 {
			return c < 0
		}
	}
	return a.seq < b.seq
}

func (h jobHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *jobHeap) Push(x any) {
	w := x.(*JobWaiter)
	w.index = len(*h)
	*h = append(*h, w)
}

func (h *jobHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	w.index = -1
	return w
}

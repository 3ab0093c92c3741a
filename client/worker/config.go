package worker

import (
	"errors"
	"fmt"
	"time"

	"github.com/statledger/statledger/chaincode/ledger"
)

// Defaults of the zero fields of a Config.
const (
	DefaultLease       = 60 * time.Second
	DefaultPollEvery   = 30 * time.Second
	DefaultConcurrency = 1
)

// MaxRetryAfter caps the backoff before a failed job is tried again.
const MaxRetryAfter = time.Hour

// MaxConcurrency is the largest Config.Concurrency: evaluation already uses every core
// for one job, so more parallel jobs only hold more inputs in memory.
const MaxConcurrency = 64

// Config is a worker's configuration. Validate fills in the defaults of zero fields.
type Config struct {
	// Lease is the length of the lease a claim and each renewal ask for: a whole number of
	// seconds from 1 s to ledger.MaxLeaseSeconds. Default DefaultLease.
	Lease time.Duration
	// RenewEvery is the interval between lease renewals while a job runs; shorter than
	// Lease. Default Lease/3.
	RenewEvery time.Duration
	// PollEvery is the interval between two scans of the ledger for claimable jobs.
	// Default DefaultPollEvery.
	PollEvery time.Duration
	// Concurrency is the number of jobs processed at the same time, 1 to MaxConcurrency.
	// Default DefaultConcurrency.
	Concurrency int
	// RetryAfter is the wait before a failed job is tried again; it doubles with each
	// further failure of the job, up to MaxRetryAfter. Default Lease, the time another
	// worker has to wait before it may take the job over.
	RetryAfter time.Duration
	// Datasets restricts the worker to the queries of these datasets; empty means every
	// dataset.
	Datasets []string
	// CheckpointFile records the last chaincode event handled, so that a restarted Run
	// resumes after it. Empty: events are read from the next block on (the first scan
	// still finds every claimable job).
	CheckpointFile string
	// ListenAddr is the host:port on which Run serves /healthz and /metrics; empty
	// serves nothing.
	ListenAddr string
}

// Validate fills in the defaults of c's zero fields and checks every field. It returns
// an error naming each wrong field.
func (c *Config) Validate() error {
	if c.Lease == 0 {
		c.Lease = DefaultLease
	}
	if c.RenewEvery == 0 {
		c.RenewEvery = c.Lease / 3
	}
	if c.PollEvery == 0 {
		c.PollEvery = DefaultPollEvery
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = c.Lease
	}
	var errs []error
	if c.Lease < time.Second || c.Lease > ledger.MaxLeaseSeconds*time.Second || c.Lease%time.Second != 0 {
		errs = append(errs, fmt.Errorf("lease %s: want a whole number of seconds from 1s to %s", c.Lease, ledger.MaxLeaseSeconds*time.Second))
	}
	if c.RenewEvery <= 0 || c.RenewEvery >= c.Lease {
		errs = append(errs, fmt.Errorf("renew interval %s: want more than 0 and less than the lease %s", c.RenewEvery, c.Lease))
	}
	if c.PollEvery <= 0 {
		errs = append(errs, fmt.Errorf("poll interval %s: want more than 0", c.PollEvery))
	}
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		errs = append(errs, fmt.Errorf("concurrency %d: want 1 to %d", c.Concurrency, MaxConcurrency))
	}
	if c.RetryAfter <= 0 || c.RetryAfter > MaxRetryAfter {
		errs = append(errs, fmt.Errorf("retry interval %s: want more than 0 and at most %s", c.RetryAfter, MaxRetryAfter))
	}
	for _, id := range c.Datasets {
		if err := ledger.ValidateID("dataset ID", id); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// leaseSeconds is the lease in the whole seconds the contract takes.
func (c *Config) leaseSeconds() int { return int(c.Lease / time.Second) }

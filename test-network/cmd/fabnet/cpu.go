package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The benchmark's CPU accounting: how much processor time each process of the network
// (orderers, peers, chaincode servers) and the benchmark client itself spent per committed
// transaction of a load, read from /proc, so that a throughput gap can be attributed to
// chaincode execution, peer endorsement and validation, or ordering. The machine's total
// and idle time show whether a measurement was CPU-bound and how busy other programs kept
// the processors.

// clockTicks is USER_HZ, the unit of /proc's CPU times; it is 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// cpuSample is one reading of the CPU times, in clock ticks.
type cpuSample struct {
	procs map[string]int64 // by process name (its PID file's name, "bench" for this one)
	total int64            // every processor's time, all states
	idle  int64            // every processor's idle and I/O wait time
}

// cpuMeter reads the CPU times of the network's processes, named by the PID files in a
// state directory, and of the benchmark itself.
type cpuMeter struct {
	pids map[string]int
}

// newCPUMeter finds the network's processes in stateDir/pids. It fails when /proc cannot
// be read (the accounting is Linux-only).
func newCPUMeter(stateDir string) (*cpuMeter, error) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return nil, fmt.Errorf("CPU accounting needs /proc: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(stateDir, "pids", "*.pid"))
	if err != nil {
		return nil, err
	}
	m := &cpuMeter{pids: map[string]int{"bench": os.Getpid()}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil {
			return nil, fmt.Errorf("PID file %s: %w", f, err)
		}
		m.pids[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
	}
	return m, nil
}

// sample reads the current CPU times. A process that has gone counts as zero.
func (m *cpuMeter) sample() (cpuSample, error) {
	s := cpuSample{procs: map[string]int64{}}
	for name, pid := range m.pids {
		t, err := processTicks(pid)
		if err != nil && !os.IsNotExist(err) {
			return s, err
		}
		s.procs[name] = t
	}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, err
	}
	s.total, s.idle, err = machineTicks(data)
	return s, err
}

// Settling: the network is quiet when its processes together use less than
// quietShare of one processor over a settleStep; settle waits at most settleMax.
const (
	settleStep = 250 * time.Millisecond
	settleMax  = 15 * time.Second
	quietShare = 0.2
	quietTicks = int64(quietShare * clockTicks * float64(settleStep) / float64(time.Second))
)

// settle waits until the network's processes are quiet, or settleMax has passed (a
// network that never quiets is measured anyway).
func (m *cpuMeter) settle(ctx context.Context) error {
	prev, err := m.sample()
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(settleMax); time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(settleStep):
		}
		cur, err := m.sample()
		if err != nil {
			return err
		}
		var busy int64
		for name, t := range cur.procs {
			if name != "bench" {
				busy += t - prev.procs[name]
			}
		}
		if busy <= quietTicks {
			return nil
		}
		prev = cur
	}
	return nil
}

// processTicks returns a process's user plus system time, in clock ticks.
func processTicks(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return statTicks(data)
}

// statTicks parses /proc/PID/stat: utime and stime are the 14th and 15th fields, counted
// after the command name, which is in parentheses and may hold spaces.
func statTicks(data []byte) (int64, error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("unreadable /proc stat line")
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat line")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unreadable CPU times in /proc stat line")
	}
	return u + s, nil
}

// machineTicks parses the "cpu" line of /proc/stat: the sum of all states, and idle plus
// iowait.
func machineTicks(data []byte) (total, idle int64, err error) {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("unreadable /proc/stat")
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("unreadable /proc/stat")
		}
		// guest and guest_nice (fields 9 and 10) are already counted in user and nice.
		if i < 8 {
			total += n
		}
		if i == 3 || i == 4 {
			idle += n
		}
	}
	return total, idle, nil
}

// cpuUse is the CPU a load used over its measurements.
type cpuUse struct {
	procs       map[string]int64
	total, idle int64
	tx          int64
}

// useBetween is the use between two samples taken around a measurement of tx
// transactions.
func useBetween(before, after cpuSample, tx int64) cpuUse {
	u := cpuUse{procs: map[string]int64{}, total: after.total - before.total, idle: after.idle - before.idle, tx: tx}
	for name, t := range after.procs {
		u.procs[name] = t - before.procs[name]
	}
	return u
}

// add adds the use of other measurements.
func (u *cpuUse) add(o cpuUse) {
	if u.procs == nil {
		u.procs = map[string]int64{}
	}
	for name, t := range o.procs {
		u.procs[name] += t
	}
	u.total += o.total
	u.idle += o.idle
	u.tx += o.tx
}

// groups sums the processes into the columns the report prints: the benchmark client,
// the orderers, the peers and the chaincode servers.
func (u cpuUse) groups() (client, orderers, peers, chaincode int64) {
	for name, t := range u.procs {
		switch {
		case name == "bench":
			client += t
		case strings.HasPrefix(name, "orderer"):
			orderers += t
		case strings.HasPrefix(name, "peer"):
			peers += t
		case strings.HasPrefix(name, "chaincode"):
			chaincode += t
		}
	}
	return client, orderers, peers, chaincode
}

// othersShare is the share of the machine's CPU time that went neither to the measured
// processes nor to idling: other programs, the kernel's own threads and, on a virtual
// machine, time the host gave to other guests (steal).
func (u cpuUse) othersShare() float64 {
	if u.total == 0 {
		return 0
	}
	return float64(u.total-u.idle-u.ours()) / float64(u.total)
}

// ours is the CPU time of the measured processes: the network's and the benchmark's.
func (u cpuUse) ours() int64 {
	var sum int64
	for _, t := range u.procs {
		sum += t
	}
	return sum
}

// perTx returns ticks as milliseconds of CPU per committed transaction.
func (u cpuUse) perTx(ticks int64) float64 {
	if u.tx == 0 {
		return 0
	}
	return float64(ticks) * 1000 / clockTicks / float64(u.tx)
}

// processNames returns the names of the processes in u, sorted.
func (u cpuUse) processNames() []string {
	names := make([]string, 0, len(u.procs))
	for n := range u.procs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

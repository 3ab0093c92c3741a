package keyceremony

// SetScryptWorkFactor lowers the scrypt cost of passphrase protection for fast tests and
// returns a function that restores it.
func SetScryptWorkFactor(n int) (restore func()) {
	old := scryptWorkFactor
	scryptWorkFactor = n
	return func() { scryptWorkFactor = old }
}

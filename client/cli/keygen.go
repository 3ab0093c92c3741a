package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/client/profile"
	"github.com/statledger/statledger/crypto/params"
)

// keygenCommand is `statledger consortium keygen`: the key ceremony, one organisation's
// step at a time, or all organisations' steps in one process for a demo.
func (a *app) keygenCommand() *cobra.Command {
	c := noun("keygen", "Run the key ceremony that makes the consortium's collective key")
	c.Long = `Run the key ceremony (t of n, no trusted dealer) that makes the consortium's collective
key, one organisation's step at a time:

  1. every key holder:  statledger consortium keygen transport
  2. one coordinator:   statledger consortium keygen setup --recipient MSPID=age1... (one per key holder)
  3. every key holder:  statledger consortium keygen contribute --setup DIGEST
  4. every key holder:  statledger consortium keygen finalize --setup DIGEST --message DIGEST,DIGEST,...
  5. one key holder:    statledger consortium keygen publish --key-id ID --setup DIGEST --message DIGEST,...

or all at once for a demo, with one profile per key holder:

  statledger consortium keygen local --key-id ID --holder a.yaml --holder b.yaml --holder c.yaml

A key holder's secrets (its transport identity, then its key share at the profile's
keySharePath) are sealed at rest with age, mode 0600, by what the environment names:
` + keyceremony.EnvIdentityFile + ` (an age identity file; created by the transport
and local steps when missing; keep it apart from the key share) or ` + keyceremony.EnvPassphraseFile + `
(a file holding a passphrase). Set exactly one; never pass secrets as flags.`
	c.AddCommand(a.keygenTransportCommand(), a.keygenSetupCommand(), a.keygenContributeCommand(),
		a.keygenFinalizeCommand(), a.keygenPublishCommand(), a.keygenLocalCommand(), a.keygenShowCommand())
	return c
}

// keygenHolderProfile resolves the profile of a key holder acting on its own files.
func (a *app) keygenHolderProfile() (profile.Profile, error) {
	p, err := a.profile()
	if err != nil {
		return profile.Profile{}, err
	}
	if p.KeySharePath == "" {
		return profile.Profile{}, fmt.Errorf("profile %s has no keySharePath: key holders need one (or set %s)", p.Name, "STATLEDGER_KEY_SHARE_PATH")
	}
	return p, nil
}

// keygenProtection reads the at-rest protection from the environment; with create, a
// missing identity file is generated and the user told so on stderr.
func (a *app) keygenProtection(create bool) (keyceremony.Protection, error) {
	prot, created, err := keyceremony.ProtectionFromEnv(a.lookupEnv, create)
	if err != nil {
		return keyceremony.Protection{}, err
	}
	if created {
		fmt.Fprintf(a.stderr, "statledger: created the %s to seal key shares; keep it safe and apart from them\n", prot)
	}
	return prot, nil
}

// keygenAsHolder runs a key holder's step on its own files: its profile, the at-rest
// protection (which must exist) and the blob store.
func (a *app) keygenAsHolder(ctx context.Context, fn func(p profile.Profile, prot keyceremony.Protection, b *blobstore.Bucket) error) error {
	p, err := a.keygenHolderProfile()
	if err != nil {
		return err
	}
	prot, err := a.keygenProtection(false)
	if err != nil {
		return err
	}
	return withBlobStore(ctx, p, func(b *blobstore.Bucket) error { return fn(p, prot, b) })
}

// withBlobStore opens the profile's blob store and runs fn with it.
func withBlobStore(ctx context.Context, p profile.Profile, fn func(b *blobstore.Bucket) error) error {
	b, err := blobstore.Open(ctx, p.BlobStoreURL)
	if err != nil {
		return fmt.Errorf("open the blob store: %w", err)
	}
	defer b.Close()
	return fn(b)
}

// keygenRequire returns a usage error naming the flags among names that were not given.
// (The checks are here rather than cobra's MarkFlagRequired, whose error would not be a
// usage error.)
func keygenRequire(cmd *cobra.Command, names ...string) error {
	var missing []string
	for _, n := range names {
		if !cmd.Flags().Changed(n) {
			missing = append(missing, "--"+n)
		}
	}
	if len(missing) > 0 {
		return usageError{fmt.Errorf("%s needs %s; see %s --help", cmd.CommandPath(), strings.Join(missing, " and "), cmd.CommandPath())}
	}
	return nil
}

// keygenDigestFlag checks a digest given as a flag.
func keygenDigestFlag(name, d string) error {
	if err := blobstore.ValidDigest(d); err != nil {
		return usageError{fmt.Errorf("--%s %q: want a SHA-256 digest of 64 lowercase hex digits", name, d)}
	}
	return nil
}

// keygenMessages checks the --message digests.
func keygenMessages(ds []string) error {
	if len(ds) == 0 {
		return usageError{errors.New("--message: give every key holder's round-message digest")}
	}
	for _, d := range ds {
		if err := keygenDigestFlag("message", d); err != nil {
			return err
		}
	}
	return nil
}

// keygenKeyID checks the --key-id flag.
func keygenKeyID(id string) error {
	if err := ledger.ValidateID("key ID", id); err != nil {
		return usageError{fmt.Errorf("--key-id %q: must start with a letter or digit and hold only letters, digits, '.', '_' and '-' (at most %d)", id, ledger.MaxIDLength)}
	}
	return nil
}

// keygenParams checks the --params flag.
func keygenParams(name string) error {
	if !slices.Contains(params.Names(), name) {
		return usageError{fmt.Errorf("--params %q: unknown parameter set; known: %s", name, strings.Join(params.Names(), ", "))}
	}
	return nil
}

func (a *app) keygenTransportCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "transport",
		Short: "Step 1, each key holder: make a transport key and print its recipient for the setup",
		Long: `Generate this key holder's age X25519 transport identity, seal it next to the profile's
keySharePath (file KEYSHARE.transport, mode 0600) and print its recipient. Hand the
recipient to the coordinator of the setup. Running it again prints the same recipient.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := a.keygenHolderProfile()
			if err != nil {
				return err
			}
			prot, err := a.keygenProtection(true)
			if err != nil {
				return err
			}
			tr, err := keyceremony.NewTransport(p.KeySharePath, prot)
			if err != nil {
				return err
			}
			out := struct {
				MSPID string `json:"mspID"`
				keyceremony.Transport
			}{p.MSPID, tr}
			return a.render(p.Output, out, func(w io.Writer) {
				fmt.Fprintf(w, "msp ID\t%s\n", p.MSPID)
				fmt.Fprintf(w, "recipient\t%s\n", tr.Recipient)
				fmt.Fprintf(w, "transport identity\t%s%s\n", tr.Path, keygenIf(tr.Existing, " (existing)"))
				fmt.Fprintf(w, "next\tgive the coordinator: --recipient %s=%s\n", p.MSPID, tr.Recipient)
			})
		},
	}
}

func (a *app) keygenSetupCommand() *cobra.Command {
	var recipients []string
	var paramSet string
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Step 2, a coordinator: fix the ceremony's holders, threshold and public seed",
		Long: `Fix the ceremony: the consortium's key holders in their ledger order, the consortium's
threshold, the parameter set and a random public seed. Give every key holder's transport
recipient (printed by its transport step). Prints the setup digest every holder needs.`,
		Example: `  statledger consortium keygen setup --recipient HospitalAMSP=age1... \
    --recipient HospitalBMSP=age1... --recipient StatOfficeMSP=age1...`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := keygenRequire(cmd, "recipient"); err != nil {
				return err
			}
			if err := keygenParams(paramSet); err != nil {
				return err
			}
			byMSP := map[string]string{}
			for _, r := range recipients {
				msp, rec, ok := strings.Cut(r, "=")
				if !ok || msp == "" || !strings.HasPrefix(rec, "age1") {
					return usageError{fmt.Errorf("--recipient %q: want MSPID=age1...", r)}
				}
				if _, dup := byMSP[msp]; dup {
					return usageError{fmt.Errorf("--recipient: %s given twice", msp)}
				}
				byMSP[msp] = rec
			}
			return a.withSession(func(s *session) error {
				return withBlobStore(cmd.Context(), s.profile, func(b *blobstore.Bucket) error {
					res, err := keyceremony.NewSetup(cmd.Context(), s.api, b, paramSet, byMSP)
					if err != nil {
						return err
					}
					return a.render(s.profile.Output, res, func(w io.Writer) {
						fmt.Fprintf(w, "setup\t%s\n", res.Digest)
						fmt.Fprintf(w, "parameter set\t%s\n", res.Setup.ParamSet)
						fmt.Fprintf(w, "threshold\t%d of %d\n", res.Setup.Threshold, len(res.Holders))
						for i, msp := range res.Holders {
							fmt.Fprintf(w, "holder %d\t%s\n", i+1, msp)
						}
						fmt.Fprintf(w, "next\tevery key holder: statledger consortium keygen contribute --setup %s\n", res.Digest)
					})
				})
			})
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&recipients, "recipient", nil, "MSPID=age1... transport recipient of a key holder (one per key holder)")
	f.StringVar(&paramSet, "params", params.N14T58, "homomorphic parameter set")
	return cmd
}

func (a *app) keygenContributeCommand() *cobra.Command {
	var setup string
	cmd := &cobra.Command{
		Use:   "contribute",
		Short: "Step 3, each key holder: upload this holder's round message",
		Long: `Make this key holder's round message for the ceremony and upload it to the blob store;
print its digest for the others. Running it again prints the same digest.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := keygenRequire(cmd, "setup"); err != nil {
				return err
			}
			if err := keygenDigestFlag("setup", setup); err != nil {
				return err
			}
			return a.keygenAsHolder(cmd.Context(), func(p profile.Profile, prot keyceremony.Protection, b *blobstore.Bucket) error {
				c, err := keyceremony.Contribute(cmd.Context(), b, setup, p.KeySharePath, prot)
				if err != nil {
					return err
				}
				out := struct {
					MSPID string `json:"mspID"`
					keyceremony.Contribution
				}{p.MSPID, c}
				return a.render(p.Output, out, func(w io.Writer) {
					fmt.Fprintf(w, "msp ID\t%s (holder %d)\n", p.MSPID, c.Holder)
					fmt.Fprintf(w, "message\t%s%s\n", c.MessageDigest, keygenIf(c.Resent, " (made earlier, unchanged)"))
					fmt.Fprintf(w, "next\twhen every holder has contributed: statledger consortium keygen finalize --setup %s --message DIGEST,...\n", setup)
				})
			})
		},
	}
	cmd.Flags().StringVar(&setup, "setup", "", "setup digest (required)")
	return cmd
}

func (a *app) keygenFinalizeCommand() *cobra.Command {
	var setup string
	var messages []string
	cmd := &cobra.Command{
		Use:   "finalize",
		Short: "Step 4, each key holder: derive and seal this holder's key share",
		Long: `Once every key holder has contributed, open the shares addressed to this holder, seal
its key share at the profile's keySharePath (mode 0600) and destroy its transport identity.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := keygenRequire(cmd, "setup", "message"); err != nil {
				return err
			}
			if err := keygenDigestFlag("setup", setup); err != nil {
				return err
			}
			if err := keygenMessages(messages); err != nil {
				return err
			}
			return a.keygenAsHolder(cmd.Context(), func(p profile.Profile, prot keyceremony.Protection, b *blobstore.Bucket) error {
				fin, err := keyceremony.Finalize(cmd.Context(), b, setup, messages, p.KeySharePath, prot)
				if err != nil {
					return err
				}
				out := struct {
					MSPID string `json:"mspID"`
					keyceremony.Finalized
				}{p.MSPID, fin}
				return a.render(p.Output, out, func(w io.Writer) {
					fmt.Fprintf(w, "msp ID\t%s (holder %d)\n", p.MSPID, fin.Holder)
					fmt.Fprintf(w, "key share\t%s%s, sealed with the %s\n", fin.KeySharePath, keygenIf(fin.Existing, " (existing)"), prot)
					fmt.Fprintf(w, "transport identity\tdestroyed\n")
				})
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&setup, "setup", "", "setup digest (required)")
	f.StringSliceVar(&messages, "message", nil, "every key holder's round-message digest, comma-separated or repeated (required)")
	return cmd
}

func (a *app) keygenPublishCommand() *cobra.Command {
	var in keyceremony.PublishInput
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Step 5, one key holder: publish the collective key and record it on the ledger",
		Long: `Compute the collective public key and rotation keys from every holder's round message,
upload them with the ceremony's manifest and record the collective key on the ledger (key
holders only). Publishing the same ceremony again is harmless.`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := keygenRequire(cmd, "key-id", "setup", "message"); err != nil {
				return err
			}
			if err := keygenKeyID(in.KeyID); err != nil {
				return err
			}
			if err := keygenDigestFlag("setup", in.SetupDigest); err != nil {
				return err
			}
			if err := keygenMessages(in.MessageDigests); err != nil {
				return err
			}
			return a.withSession(func(s *session) error {
				return withBlobStore(cmd.Context(), s.profile, func(b *blobstore.Bucket) error {
					pub, err := keyceremony.Publish(cmd.Context(), s.api, b, in)
					if err != nil {
						return err
					}
					return a.render(s.profile.Output, pub, func(w io.Writer) { keygenPrintPublished(w, pub) })
				})
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.KeyID, "key-id", "", "ID of the collective key on the ledger (required)")
	f.StringVar(&in.SetupDigest, "setup", "", "setup digest (required)")
	f.StringSliceVar(&in.MessageDigests, "message", nil, "every key holder's round-message digest, comma-separated or repeated (required)")
	return cmd
}

func (a *app) keygenLocalCommand() *cobra.Command {
	var keyID, paramSet string
	var holderProfiles []string
	cmd := &cobra.Command{
		Use:   "local",
		Short: "Run every key holder's steps in this process (demo)",
		Long: `Run the whole ceremony in this process for every key holder of the consortium, each
given by its profile (--holder, one per key holder): each holder's key share is written to
its profile's keySharePath, sealed with the protection the environment names (the same for
every holder). The key is recorded as the --profile identity, which must be a key holder;
its blob store serves every holder. If the key is already recorded and every holder's key
share belongs to it, nothing is done, so a demo can be re-run.`,
		Example: `  statledger --profile statoffice.yaml consortium keygen local --key-id key-2026 \
    --holder statoffice.yaml --holder hospitala.yaml --holder hospitalb.yaml`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := keygenRequire(cmd, "key-id", "holder"); err != nil {
				return err
			}
			if err := keygenKeyID(keyID); err != nil {
				return err
			}
			if err := keygenParams(paramSet); err != nil {
				return err
			}
			var holders []keyceremony.LocalHolder
			for _, path := range holderProfiles {
				hp, err := profile.Load(path)
				if err != nil {
					return fmt.Errorf("--holder %s: %w", path, err)
				}
				if err := hp.Validate(); err != nil {
					return fmt.Errorf("--holder %s: %w", path, err)
				}
				if hp.KeySharePath == "" {
					return fmt.Errorf("--holder %s: profile %s has no keySharePath: key holders need one", path, hp.Name)
				}
				holders = append(holders, keyceremony.LocalHolder{MSPID: hp.MSPID, KeySharePath: hp.KeySharePath})
			}
			prot, err := a.keygenProtection(true)
			if err != nil {
				return err
			}
			for i := range holders {
				holders[i].Protection = prot
			}
			return a.withSession(func(s *session) error {
				ctx := cmd.Context()
				cons, err := s.api.GetConsortium(ctx)
				if err != nil {
					return err
				}
				if !slices.Contains(cons.KeyHolders(), s.profile.MSPID) {
					return fmt.Errorf("the --profile identity's organisation %s is not a key holder and may not record the key; use one of %s", s.profile.MSPID, strings.Join(cons.KeyHolders(), ", "))
				}
				return withBlobStore(ctx, s.profile, func(b *blobstore.Bucket) error {
					start := time.Now()
					res, err := keyceremony.RunLocal(ctx, s.api, b, keyceremony.LocalInput{KeyID: keyID, ParamSet: paramSet, Holders: holders})
					if err != nil {
						return err
					}
					out := struct {
						keyceremony.LocalResult
						Seconds float64 `json:"seconds"`
					}{res, time.Since(start).Seconds()}
					return a.render(s.profile.Output, out, func(w io.Writer) {
						if res.Existing {
							fmt.Fprintf(w, "key %s was recorded before and every holder's key share matches it: nothing to do\n", keyID)
						} else {
							fmt.Fprintf(w, "setup\t%s\n", res.Setup.Digest)
							for _, c := range res.Contributions {
								fmt.Fprintf(w, "holder %d\t%s message %s\n", c.Holder, res.Setup.Holders[c.Holder-1], c.MessageDigest)
							}
						}
						keygenPrintPublished(w, res.Published)
						fmt.Fprintf(w, "took\t%.1f s\n", out.Seconds)
					})
				})
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyID, "key-id", "", "ID of the collective key on the ledger (required)")
	f.StringVar(&paramSet, "params", params.N14T58, "homomorphic parameter set")
	f.StringArrayVar(&holderProfiles, "holder", nil, "profile file of a key holder (one per key holder; required)")
	return cmd
}

func (a *app) keygenShowCommand() *cobra.Command {
	var verify, checkShare bool
	cmd := &cobra.Command{
		Use:   "show KEY-ID",
		Short: "Load a collective key from the ledger and the blob store, checking every digest",
		Long: `Load a collective key as the programs that use it do: the ledger record, the ceremony's
manifest, setup, public key and rotation keys, every digest checked. --verify also
re-derives the keys from the holders' round messages (an auditor's check); --check-share
opens this key holder's own key share and checks it belongs to the key.`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, ids []string) error {
			return a.withSession(func(s *session) error {
				var prot keyceremony.Protection
				if checkShare {
					if s.profile.KeySharePath == "" {
						return fmt.Errorf("profile %s has no keySharePath to check", s.profile.Name)
					}
					var err error
					if prot, err = a.keygenProtection(false); err != nil {
						return err
					}
				}
				return withBlobStore(cmd.Context(), s.profile, func(b *blobstore.Bucket) error {
					ks, err := keyceremony.Load(cmd.Context(), s.api, b, ids[0])
					if err != nil {
						return err
					}
					if verify {
						if err := ks.VerifyTranscript(cmd.Context(), b); err != nil {
							return err
						}
					}
					share := ""
					if checkShare {
						tk, err := ks.LoadThresholdKey(s.profile.MSPID, s.profile.KeySharePath, prot)
						if err != nil {
							return err
						}
						share = fmt.Sprintf("%s opens and is holder %d's", s.profile.KeySharePath, tk.Holder())
					}
					out := struct {
						Key                ledger.CollectiveKey `json:"key"`
						ManifestDigest     string               `json:"manifestDigest"`
						Manifest           keyceremony.Manifest `json:"manifest"`
						TranscriptVerified bool                 `json:"transcriptVerified"`
						KeyShare           string               `json:"keyShare,omitempty"`
					}{ks.Record(), ks.ManifestDigest(), ks.Manifest(), verify, share}
					return a.render(s.profile.Output, out, func(w io.Writer) {
						keygenPrintPublished(w, keyceremony.Published{Manifest: ks.Manifest(), ManifestDigest: ks.ManifestDigest(), Key: ks.Record()})
						fmt.Fprintf(w, "checked\tmanifest, setup, public key%s\n", keygenIf(verify, ", rotation keys, transcript re-derived"))
						if share != "" {
							fmt.Fprintf(w, "key share\t%s\n", share)
						}
					})
				})
			})
		},
	}
	cmd.Flags().BoolVar(&verify, "verify", false, "re-derive the keys from every holder's round message")
	cmd.Flags().BoolVar(&checkShare, "check-share", false, "open this key holder's key share and check it belongs to the key")
	return cmd
}

func keygenPrintPublished(w io.Writer, pub keyceremony.Published) {
	m := pub.Manifest
	fmt.Fprintf(w, "key\t%s%s, tx %s\n", pub.Key.ID, keygenIf(pub.AlreadyRecorded, " (recorded before)"), pub.Key.TxID)
	fmt.Fprintf(w, "parameter set\t%s\n", m.ParamSet)
	fmt.Fprintf(w, "threshold\t%d of %d\n", m.Threshold, len(m.Holders))
	for i, h := range m.Holders {
		fmt.Fprintf(w, "holder %d\t%s\n", i+1, h.MSPID)
	}
	fmt.Fprintf(w, "public key\t%s\n", pub.Key.PublicKeyURI)
	fmt.Fprintf(w, "rotation keys\t%s\n", m.EvaluationKeysDigest)
	fmt.Fprintf(w, "manifest\t%s\n", pub.ManifestDigest)
}

func keygenIf(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

package ledger

import (
	"bytes"
	"encoding/json"
)

// Written is the response of a transaction that stored a record: the record's key, not
// its value. The value is in the transaction's write set, which goes into the block
// anyway; repeating it as the response would put every record in the ledger twice (a
// third of an approval's bytes). Clients take the record from the write set of the
// transaction they submitted (client/fabric's Submit does).
type Written struct {
	Key string `json:"written"`
}

// WrittenKey reports whether a transaction response is a Written reference, and to
// which key. Any other response, such as a record, is not.
func WrittenKey(resp []byte) (string, bool) {
	if !bytes.HasPrefix(bytes.TrimSpace(resp), []byte(`{"written":`)) {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(resp))
	dec.DisallowUnknownFields()
	var w Written
	if err := dec.Decode(&w); err != nil || w.Key == "" || dec.More() {
		return "", false
	}
	return w.Key, true
}

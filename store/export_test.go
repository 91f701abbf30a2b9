package store

import "context"

// RefillContactKeys recomputes every case's duplicate keys with the SQL
// migration 0016 filled them with, so a test can hold it to PhoneKey and
// EmailKey on each engine.
func (db *DB) RefillContactKeys(ctx context.Context) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE cases SET contact_phone_key = `+phoneKeySQL+`, contact_email_key = `+emailKeySQL)
		return err
	})
}

// ContactKeys returns a case's stored duplicate keys.
func (db *DB) ContactKeys(ctx context.Context, id int64) (phone, email string, err error) {
	err = db.reader().queryRow(ctx, `SELECT contact_phone_key, contact_email_key FROM cases WHERE id = $1`, id).Scan(&phone, &email)
	return phone, email, err
}

package store

import (
	"context"
	"fmt"
)

// QueueNames lists the configured queues' names, for validating IVR flows.
func (db *DB) QueueNames(ctx context.Context) ([]string, error) {
	rows, err := db.reader().query(ctx, `SELECT name FROM queues ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: list queue names: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: read queue name: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

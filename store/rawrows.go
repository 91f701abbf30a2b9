package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// rawRows runs a statement whose rows are an integer, width text values
// and an integer, and hands each row to fn as it arrives; the byte slices
// are valid only during the call. On PostgreSQL it reads through pgx's own
// interface: database/sql turns every value into a Go value first, which
// was half the time of a report of half a million groups.
func (db *DB) rawRows(ctx context.Context, stmt string, args []any, width int, fn func(first int64, text [][]byte, last int64)) error {
	if db.d.name == postgres {
		conn, err := db.r.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Raw(func(dc any) error {
			sc, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("store: unexpected PostgreSQL driver connection %T", dc)
			}
			rows, err := sc.Conn().Query(ctx, db.d.rebind(stmt), db.d.args(args)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			fds := rows.FieldDescriptions()
			if len(fds) != width+2 {
				return fmt.Errorf("store: %d columns, want %d", len(fds), width+2)
			}
			for rows.Next() {
				vals := rows.RawValues()
				first, err := rawInt(fds[0], vals[0])
				if err != nil {
					return err
				}
				last, err := rawInt(fds[width+1], vals[width+1])
				if err != nil {
					return err
				}
				fn(first, vals[1:width+1], last)
			}
			return rows.Err()
		})
	}
	rows, err := db.reader().query(ctx, stmt, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	text := make([]sql.RawBytes, width)
	plain := make([][]byte, width)
	var first, last int64
	dest := make([]any, 0, width+2)
	dest = append(dest, &first)
	for i := range text {
		dest = append(dest, &text[i])
	}
	dest = append(dest, &last)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i, b := range text {
			plain[i] = b
		}
		fn(first, plain, last)
	}
	return rows.Err()
}

// rawInt reads an integer column in PostgreSQL's binary or text format.
func rawInt(fd pgconn.FieldDescription, b []byte) (int64, error) {
	if b == nil {
		return 0, nil // NULL
	}
	if fd.Format == pgx.TextFormatCode {
		return strconv.ParseInt(string(b), 10, 64)
	}
	switch len(b) {
	case 8:
		return int64(binary.BigEndian.Uint64(b)), nil
	case 4:
		return int64(int32(binary.BigEndian.Uint32(b))), nil
	case 2:
		return int64(int16(binary.BigEndian.Uint16(b))), nil
	}
	return 0, fmt.Errorf("store: column %s: %d bytes are not an integer", fd.Name, len(b))
}

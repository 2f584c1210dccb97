package reconcile

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rosterhq/roster/models"
)

// SaveUpload keeps a parsed accounts file for its preview until an admin
// applies or discards it.
func (r *Reconciler) SaveUpload(ctx context.Context, actor models.Actor, app *models.App, fileName string, list []Account) (*models.AccountUpload, error) {
	records := make([]string, len(list))
	for i, a := range list {
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		records[i] = string(b)
	}
	return r.Store.CreateAccountUpload(ctx, actor, app.ID, fileName, records)
}

// LoadUpload reads an upload's accounts back, in file order.
func (r *Reconciler) LoadUpload(ctx context.Context, up *models.AccountUpload) ([]Account, error) {
	out := make([]Account, 0, up.Rows)
	err := r.Store.AccountUploadRecords(ctx, up.ID, func(record string) error {
		var a Account
		if err := json.Unmarshal([]byte(record), &a); err != nil {
			return fmt.Errorf("accounts upload %d: unreadable record: %w", up.ID, err)
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

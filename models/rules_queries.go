package models

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"
)

// CustomAttributeNames returns the custom attribute names present on any
// person, sorted, for the rule editor's attribute picker. Custom
// attributes are a JSON column stored differently by SQLite and
// PostgreSQL, so the keys are collected in Go, a batch at a time.
func (s *Store) CustomAttributeNames(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	var batch []Person
	err := s.db.WithContext(ctx).Model(&Person{}).Select("id", "custom").
		FindInBatches(&batch, 1000, func(*gorm.DB, int) error {
			for _, p := range batch {
				for k := range p.Custom {
					seen[k] = true
				}
			}
			return nil
		}).Error
	if err != nil {
		return nil, fmt.Errorf("store: custom attribute names: %w", translate(err))
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		if k != "" && !slices.Contains(StandardAttributes, k) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names, nil
}

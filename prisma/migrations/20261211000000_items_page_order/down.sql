-- Undoes the items page-order index.
DROP INDEX IF EXISTS "items_created_at_id_idx";

-- The items list pages in (created_at, id) order: with this index a page is read in that order
-- and stops at its last row, instead of sorting the whole table for every page. Only an index is
-- added, so the original's databases keep working.
-- CreateIndex
CREATE INDEX "items_created_at_id_idx" ON "items"("created_at", "id");

-- Every length the API accepts fits every column it is written to: a seat's label in an order
-- item is "<area name> <seat code>", up to 100 + 1 + 32 characters.
ALTER TABLE order_items MODIFY seat_info VARCHAR(140) NULL;

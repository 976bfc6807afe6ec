select * from (values
    (1, date '2026-01-01', 10.0),
    (2, date '2026-01-01', 5.5),
    (3, date '2026-01-02', 7.25)
) as orders(order_id, ordered_on, amount)

select id, customer, amount, region, cast(updated_at as date) as updated_at from {{ ref('raw_orders') }}
where amount >= {{ var('min_amount') }}

select customer, total * 2 as doubled, {{ cents("total") }} as total_cents from {{ ref('customers') }}

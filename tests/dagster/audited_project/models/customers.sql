select c.id, c.name, coalesce(sum(o.amount), 0) as spent
from {{ ref('stg_customers') }} as c
left join {{ ref('stg_orders') }} as o on o.customer_id = c.id
group by c.id, c.name

-- Reads an ephemeral model and a table, no meta: a check on the one built last.
select o.id from {{ ref('stg_orders') }} as o
left join {{ ref('customers') }} as c on o.customer_id = c.id
where c.id is null

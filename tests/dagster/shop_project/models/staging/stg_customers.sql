select customer_id, customer_name from {{ ref('raw_customers') }}

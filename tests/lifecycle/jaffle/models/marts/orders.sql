with payments as (
    select
        order_id,
        {% for method in var("payment_methods") -%}
        sum(case when payment_method = '{{ method }}' then amount else 0 end) as {{ method }}_amount,
        {% endfor -%}
        sum(amount) as amount
    from {{ ref('stg_payments') }}
    group by order_id
)
select
    orders.order_id,
    orders.customer_id,
    orders.order_date,
    orders.status,
    {% for method in var("payment_methods") -%}
    coalesce(payments.{{ method }}_amount, 0) as {{ method }}_amount,
    {% endfor -%}
    coalesce(payments.amount, 0) as amount
from {{ ref('stg_orders') }} as orders
left join payments on payments.order_id = orders.order_id

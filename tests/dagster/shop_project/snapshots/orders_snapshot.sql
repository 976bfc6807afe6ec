{% snapshot orders_snapshot %}
{{ config(target_schema='main', unique_key='order_id', strategy='check', check_cols='all') }}
select * from {{ ref('raw_orders') }}
{% endsnapshot %}

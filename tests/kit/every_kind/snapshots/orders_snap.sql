{% snapshot orders_snap %}
{{ config(target_schema=target.schema ~ '_snap', unique_key='id', strategy='check', check_cols=['amount']) }}
select * from {{ ref('raw_orders') }}
{% endsnapshot %}

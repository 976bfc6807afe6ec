{# The timestamp strategy takes dbt_valid_from from the data, so the snapshot's rows
   are the same whoever runs it (dbt 1.8 needs target_schema). #}
{% snapshot customers_snapshot %}
{{ config(target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='updated_at') }}
select id, first_name, last_name, updated_at from {{ ref('raw_customers') }}
{% endsnapshot %}

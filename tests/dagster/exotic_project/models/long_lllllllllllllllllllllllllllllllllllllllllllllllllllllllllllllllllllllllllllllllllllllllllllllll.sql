{{ config(schema='odd-schema', alias='Odd Alias') }}
select id from {{ ref('café') }}

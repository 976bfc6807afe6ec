def model(dbt, session):
    dbt.config(materialized="table")
    return dbt.ref("stg_orders").aggregate("region, sum(amount) as amount", "region")

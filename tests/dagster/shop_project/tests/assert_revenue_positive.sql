select * from {{ ref('finance') }} where revenue <= 0

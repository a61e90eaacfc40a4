"""Names `make dead` (vulture) cannot see used; read by vulture, never imported.

Model fields read by name (pydantic schemas, SQLAlchemy columns, the Python client's models),
attributes set on library objects (openpyxl cells, loggers, responses) and protocol arguments.
A name here is not dead: add one only with that reason.
"""
# ruff: noqa
# fmt: off
traceback  # clients/python/carecircle_client/client.py
type_label  # clients/python/carecircle_client/models.py
network_distance_m  # clients/python/carecircle_client/models.py
beds_period  # clients/python/carecircle_client/models.py
degraded_reasons  # clients/python/carecircle_client/models.py
_.background  # gateway/proxy.py
province_code  # services/beds/models.py
city_code  # services/beds/models.py
community_code  # services/beds/models.py
recorded_at  # services/beds/plans/models.py
_.font  # services/beds/plans/report.py
_.freeze_panes  # services/beds/plans/report.py
_.alignment  # services/beds/plans/report.py
_.recorded_at  # services/beds/plans/repository.py
nursing_share  # services/beds/schemas.py
dementia_share  # services/beds/schemas.py
beds_per_1000_elderly  # services/beds/schemas.py
beds_per_1000_elderly_incl_family  # services/beds/schemas.py
private_operated_share  # services/beds/schemas.py
government_operated_share  # services/beds/schemas.py
occupancy_rate  # services/beds/schemas.py
central_homes_nursing_70_share  # services/beds/schemas.py
elderly_source  # services/beds/schemas.py
target_id  # services/beds/schemas.py
target_region  # services/beds/schemas.py
worst_children  # services/beds/schemas.py
NotAcceptable  # services/common/errors.py
_.disabled  # services/common/logging.py
spatial_index  # services/common/spatial.py
dimension  # services/common/spatial.py
use_typmod  # services/common/spatial.py
total_elderly  # services/coverage/models.py
covered_elderly  # services/coverage/models.py
demand_points  # services/coverage/models.py
covered_share_by_count  # services/coverage/models.py
covered_share_by_elderly  # services/coverage/models.py
elderly_80plus  # services/coverage/schemas.py
total_elderly  # services/coverage/schemas.py
gap_resolution  # services/coverage/schemas.py
network_distance_m  # services/coverage/schemas.py
population_source  # services/facilities/models.py
notes  # services/facilities/models.py
type_label  # services/facilities/schemas.py
population_source  # services/facilities/schemas.py
updated  # services/facilities/schemas.py
_.coverage_sweeper  # services/coverage/app.py (read back with getattr at shutdown)
_.coverage_task_sweeper  # services/coverage/app.py (read back with getattr at shutdown)
reachable_pieces  # services/coverage/isochrones.py (the documented building block; its doctest runs)

-- One database per service (services never read each other's tables), each with PostGIS.
CREATE DATABASE facilities;
CREATE DATABASE beds;
CREATE DATABASE coverage;
CREATE DATABASE gateway;
\c facilities
CREATE EXTENSION IF NOT EXISTS postgis;
\c beds
CREATE EXTENSION IF NOT EXISTS postgis;
\c coverage
CREATE EXTENSION IF NOT EXISTS postgis;
\c gateway
CREATE EXTENSION IF NOT EXISTS postgis;

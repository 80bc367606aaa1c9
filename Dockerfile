# The web app for docker-compose.yml: Debian 12 with its GDAL/GEOS/PROJ, as on the dev machines.
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        gdal-bin libgdal-dev libgeos-dev libproj-dev nodejs npm make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/geogmina
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN pip install --no-cache-dir -e . \
    && GEOGMINA_DEBUG=1 python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["sh", "-c", "python manage.py migrate --noinput && gunicorn gis_app.wsgi -b 0.0.0.0:8000 -w 3"]

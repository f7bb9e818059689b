// geo.js: positions. The browser gives WGS-84; maps in China (Amap/Gaode, Tencent) draw GCJ-02, so a link to
// them converts first (the published eviltransform formula), or the pin lands a few hundred metres off.

const KRASOVSKY_A = 6378245.0;             // GCJ-02 is computed on the Krasovsky ellipsoid
const KRASOVSKY_EE = 0.00669342162296594323;
const EARTH_R = 6371008.8;                 // mean radius, for distances between two points

/** Outside mainland China's bounding box GCJ-02 is WGS-84 itself. */
const outOfChina = (lat, lon) => !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);

function shift(x, y) {
  const xy = x * y;
  const xPi = x * Math.PI;
  const yPi = y * Math.PI;
  const d = 20 * Math.sin(6 * xPi) + 20 * Math.sin(2 * xPi);
  let lat = d + 20 * Math.sin(yPi) + 40 * Math.sin(yPi / 3) + 160 * Math.sin(yPi / 12) + 320 * Math.sin(yPi / 30);
  let lon = d + 20 * Math.sin(xPi) + 40 * Math.sin(xPi / 3) + 150 * Math.sin(xPi / 12) + 300 * Math.sin(xPi / 30);
  lat = lat * 2 / 3 - 100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * xy + 0.2 * Math.sqrt(Math.abs(x));
  lon = lon * 2 / 3 + 300 + x + 2 * y + 0.1 * x * x + 0.1 * xy + 0.1 * Math.sqrt(Math.abs(x));
  return [lat, lon];
}

/** A WGS-84 position as GCJ-02: {lat, lon}. */
export function wgs84ToGcj02(lat, lon) {
  if (outOfChina(lat, lon)) return { lat, lon };
  const [dLat, dLon] = shift(lon - 105, lat - 35);
  const radLat = (lat / 180) * Math.PI;
  const magic = 1 - KRASOVSKY_EE * Math.sin(radLat) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  return {
    lat: lat + (dLat * 180) / (((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrtMagic)) * Math.PI),
    lon: lon + (dLon * 180) / ((KRASOVSKY_A / sqrtMagic) * Math.cos(radLat) * Math.PI),
  };
}

/** Metres between two WGS-84 points (haversine). */
export function metresBetween(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Amap's marker link for a WGS-84 position; the app or the web page opens it. */
export function mapLink(lat, lon, name) {
  const p = wgs84ToGcj02(lat, lon);
  const position = `${p.lon.toFixed(6)},${p.lat.toFixed(6)}`;
  return `https://uri.amap.com/marker?position=${position}&name=${encodeURIComponent(name || '')}&coordinate=gaode&callnative=1`;
}

/** A fresh fix (never a cached one: evidence must be of now), as {lat, lon, accuracy_m}; rejects with the
 * GeolocationPositionError, or {code: 0} where the phone has no geolocation. */
export function locate({ timeout = 15000, maximumAge = 0 } = {}) {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject({ code: 0 }); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: Math.round(p.coords.accuracy) }),
      reject, { enableHighAccuracy: true, timeout, maximumAge });
  });
}

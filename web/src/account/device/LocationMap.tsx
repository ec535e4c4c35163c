import { useTranslation } from 'react-i18next';
import { useFormat } from '@shared/i18n';
import styles from './device.module.css';

/**
 * The last location drawn without any tile server: the point, its accuracy circle to scale, a grid and a
 * scale bar. Nothing leaves the page (no third party learns where the device is).
 */
export function LocationMap({ lat, lon, accuracy, at }: { lat: number; lon: number; accuracy: number; at: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const size = 320;
  // The view spans three accuracy radii (at least 300 m), so the circle always fits with room around it.
  const spanMetres = Math.max(accuracy * 3, 300);
  const perMetre = size / spanMetres;
  const radius = Math.max(accuracy * perMetre, 3);
  const scaleMetres = niceLength(spanMetres / 4);
  const coordinates = `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  const description = t('device.mapDescription', {
    coordinates,
    accuracy: format.number(Math.round(accuracy)),
    when: format.date(at),
  });
  return (
    <figure className={styles.figure}>
      <svg viewBox={`0 0 ${size} ${size}`} className={styles.map} role="img" aria-label={description}>
        <rect width={size} height={size} className={styles.mapGround} />
        {[1, 2, 3].map((i) => (
          <g key={i} className={styles.mapGrid}>
            <line x1={(size / 4) * i} y1={0} x2={(size / 4) * i} y2={size} />
            <line x1={0} y1={(size / 4) * i} x2={size} y2={(size / 4) * i} />
          </g>
        ))}
        <circle cx={size / 2} cy={size / 2} r={radius} className={styles.mapAccuracy} />
        <circle cx={size / 2} cy={size / 2} r={6} className={styles.mapPoint} />
        <line x1={12} y1={size - 16} x2={12 + scaleMetres * perMetre} y2={size - 16} className={styles.mapScale} />
        <text x={12} y={size - 22} className={styles.mapText}>
          {format.number(scaleMetres)} m
        </text>
        <text x={size - 12} y={20} textAnchor="end" className={styles.mapText}>
          N ↑
        </text>
      </svg>
      <figcaption className={styles.description}>{description}</figcaption>
    </figure>
  );
}

function niceLength(metres: number): number {
  const power = 10 ** Math.floor(Math.log10(metres));
  for (const step of [1, 2, 5, 10]) if (step * power >= metres) return step * power;
  return 10 * power;
}

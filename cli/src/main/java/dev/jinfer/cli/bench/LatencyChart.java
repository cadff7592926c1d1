package dev.jinfer.cli.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The chart of a sweep: p50, p90 and p99 latency (ms) against throughput (requests/s), one point per
 * concurrency level or rate, each p99 point labelled with its level, and the SLO as a dashed line. The
 * latency axis turns logarithmic when p99 spans more than a factor of 20, so the low levels stay readable.
 * Rendered headless with XChart ({@code java.awt.headless} is set to true). Stateless.
 */
final class LatencyChart {
  static final int WIDTH = 1000;
  static final int HEIGHT = 620;

  private LatencyChart() {}

  /**
   * Draws the chart.
   *
   * @param report the run
   * @return the chart
   */
  static XYChart chart(BenchReport report) {
    System.setProperty("java.awt.headless", "true");
    List<LevelResult> levels = report.levels();
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
        .title("Latency vs throughput: " + report.target() + ", " + report.mode())
        .xAxisTitle("throughput (requests/s)").yAxisTitle("latency (ms)").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE).setChartBackgroundColor(Color.WHITE)
        .setPlotBackgroundColor(Color.WHITE).setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 15))
        .setAnnotationTextFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11)).setAnnotationTextFontColor(Color.DARK_GRAY);
    chart.getStyler().setMarkerSize(8);
    chart.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
    chart.getStyler().setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    chart.getStyler().setYAxisDecimalPattern("#,##0.###");
    chart.getStyler().setXAxisDecimalPattern("#,##0");
    double[] x = levels.stream().mapToDouble(LevelResult::throughput).toArray();
    double lowX = java.util.Arrays.stream(x).min().orElse(0);
    double highX = maxX(x);
    double axisLow = 0;
    double axisHigh = highX * 1.05;
    if (lowX > 0.4 * highX && highX > lowX) {
      // the points cluster far from zero: zoom on them instead of squeezing them to the right edge
      double pad = Math.max(0.08 * (highX - lowX), 0.01 * highX);
      axisLow = Math.max(0, lowX - pad);
      axisHigh = highX + pad;
    }
    chart.getStyler().setXAxisMin(axisLow);
    chart.getStyler().setXAxisMax(axisHigh);
    double minP50 = Double.MAX_VALUE;
    double maxP99 = 0;
    Object[][] series = {
        {"p50", 50.0, new Color(44, 123, 182), SeriesMarkers.CIRCLE},
        {"p90", 90.0, new Color(253, 174, 97), SeriesMarkers.DIAMOND},
        {"p99", 99.0, new Color(215, 25, 28), SeriesMarkers.SQUARE}};
    double[] p99 = new double[levels.size()];
    for (Object[] s : series) {
      double pct = (Double) s[1];
      double[] y = new double[levels.size()];
      for (int i = 0; i < y.length; i++) {
        y[i] = Math.max(1e-3, levels.get(i).percentileNanos(pct) / 1e6);
        minP50 = Math.min(minP50, y[i]);
        maxP99 = Math.max(maxP99, y[i]);
      }
      if (pct == 99.0) {
        p99 = y;
      }
      XYSeries xy = chart.addSeries((String) s[0], x, y);
      xy.setLineColor((Color) s[2]);
      xy.setMarkerColor((Color) s[2]);
      xy.setMarker((Marker) s[3]);
      xy.setLineStyle(new BasicStroke(2f));
    }
    boolean log = minP50 > 0 && maxP99 / minP50 > 20;
    chart.getStyler().setYAxisLogarithmic(log);
    if (log) {
      chart.setYAxisTitle("latency (ms, log scale)");
      // whole decades at both ends, so that the axis has labels below and above the points
      chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(minP50))));
      chart.getStyler().setYAxisMax(Math.pow(10, Math.ceil(Math.log10(maxP99 * 1.3))));
    }
    if (!log) {
      chart.getStyler().setYAxisMin(0.0);
    }
    double slo = report.sloNanos() / 1e6;
    // an SLO far above every point would squash them into the bottom of the chart: name it instead
    boolean sloLine = slo > 0 && (log || slo <= 2.5 * maxP99);
    double top = sloLine && !log ? Math.max(maxP99, slo) : maxP99;
    if (sloLine) {
      chart.addAnnotation(new AnnotationLine(slo, false, false));
      chart.getStyler().setAnnotationLineColor(new Color(120, 120, 120));
      chart.getStyler().setAnnotationLineStroke(
          new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
      chart.addAnnotation(new AnnotationText("SLO " + Units.compact(slo) + " ms", axisLow + (axisHigh - axisLow) * 0.06,
          log ? slo * 1.15 : slo + 0.03 * top, false));
    } else if (slo > 0) {
      chart.setYAxisTitle(chart.getYAxisTitle() + "; SLO " + Units.compact(slo) + " ms is above every point");
    }
    if (!log) {
      chart.getStyler().setYAxisMax(top * 1.15);
    }
    for (int i = 0; i < levels.size(); i++) {
      chart.addAnnotation(new AnnotationText(levels.get(i).label(), x[i], log ? p99[i] * 1.15 : p99[i] + 0.04 * top,
          false));
    }
    return chart;
  }

  private static double maxX(double[] x) {
    double m = 0;
    for (double v : x) {
      m = Math.max(m, v);
    }
    return m;
  }

  /**
   * Writes the chart as a PNG.
   *
   * @param report the run
   * @param file the file, replaced if it exists (written as given, no extension added)
   * @throws UncheckedIOException naming the file if it cannot be written
   */
  static void write(BenchReport report, Path file) {
    XYChart chart = chart(report);
    try (OutputStream out = Files.newOutputStream(file)) {
      BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException("--chart '" + file + "': expected to write the PNG but " + e, e);
    }
  }
}

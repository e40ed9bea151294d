# Bar chart of the closed-loop rows: req/s as a share of nginx's, per scenario and backend, with
# the targets as marks. Called by bench/report:
#   gnuplot -e "data='chart.dat'; out='chart.svg'; both=0|1" bench/chart.gnuplot
# chart.dat columns: "label"  sqlite+memory ratio  mysql+redis ratio  target ("-": none)
set terminal svg size 960,520 dynamic font "sans,12" background rgb "white"
set output out
set datafile separator "\t"
set datafile missing "-"
set title "subscriberd throughput as a share of nginx on the same machine (median of runs)"
set ylabel "req/s / nginx req/s"
set yrange [0:1.1]
set ytics 0.1
set grid ytics lc rgb "#dddddd"
set key top right
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border rgb "#333333"
set boxwidth 0.9
set xtics nomirror rotate by -20 offset -1,0
set border 3

if (both) {
  plot data using 2:xtic(1) title "sqlite+memory" lc rgb "#4c78a8", \
       '' using 3 title "mysql+redis" lc rgb "#f58518", \
       '' using ($0):4 with points pt 9 ps 1.6 lc rgb "#d62728" title "target"
} else {
  plot data using 2:xtic(1) title "sqlite+memory" lc rgb "#4c78a8", \
       '' using ($0):4 with points pt 9 ps 1.6 lc rgb "#d62728" title "target"
}

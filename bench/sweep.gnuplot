# Line chart of the open_sweep rows: p99 latency against the offered rate, one line per backend
# and one for nginx answering a fixed body. Called by bench/report:
#   gnuplot -e "data='sweep.dat'; out='sweep.svg'; series=N" bench/sweep.gnuplot
# sweep.dat: one block a series (blocks two blank lines apart), its name in quotes on the
# block's first line, then "rate<TAB>p99 ms" a line.
set terminal svg size 960,520 dynamic font "sans,12" background rgb "white"
set output out
set datafile separator "\t"
set title "p99 latency of the open-loop mix against the offered rate (median of runs)"
set xlabel "offered rate, requests a second"
set ylabel "p99 latency, ms (log scale)"
set logscale y
set format x "%.0f"
set xrange [0:*]
set grid xtics ytics lc rgb "#dddddd"
set key top left
set border 3
set xtics nomirror
set ytics nomirror
set arrow from graph 0, first 10 to graph 1, first 10 nohead dashtype 2 lc rgb "#d62728"
set label "target: 10 ms" at graph 0.01, first 12 tc rgb "#d62728"
plot for [i = 0:series - 1] data index i using 1:2 with linespoints lw 2 pt 7 ps 0.8 \
     title columnheader(1)

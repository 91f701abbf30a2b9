package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func (a *app) configCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Configurazione / configuration",
	}
	c.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Mostra la configurazione effettiva, con i segreti oscurati / show the effective configuration, secrets redacted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, a.t("IMPOSTAZIONE\tVALORE\tORIGINE\tVARIABILE", "SETTING\tVALUE\tSOURCE\tVARIABLE"))
			for _, s := range a.loader.Settings() {
				v := s.Value
				if v == "" {
					v = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, v, s.Source, s.Env)
			}
			return tw.Flush()
		},
	})
	return c
}
